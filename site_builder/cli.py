"""The command line: `python -m site_builder COMMAND` (also installed as `site-builder`).

Exit codes: 0 ok, 1 content errors, 2 usage errors.
"""
from __future__ import annotations

import argparse
import datetime as dt
import errno
import logging
import os
import sys
from pathlib import Path

from . import content
from .problems import ContentError, Problem

log = logging.getLogger("site_builder")

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command was called wrongly (exit 2)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    # WeasyPrint and fontTools report progress at INFO; keep their warnings only.
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return args.run(args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: {exc}\n")
    except ContentError as exc:
        report(exc.problems)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def report(problems: list[Problem]) -> None:
    """Print problems one per line, then a count."""
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)


def _project(args: argparse.Namespace) -> Path:
    root = Path(args.project).resolve()
    if not content.is_project(root):
        raise UsageError(f"{root} is not a guide project (no {content.GUIDE_FILE} and {content.CASES_DIR}/); "
                         "run the command from the project's folder or pass --project")
    return root


def cmd_validate(args: argparse.Namespace) -> int:
    root = _project(args)
    files = [Path(f) for f in args.files] or None
    for f in files or []:
        if not f.is_file():
            raise UsageError(f"no such file: {f}")
    site, warnings = content.load_site(root, draft=args.draft, files=files)
    report(warnings)
    checked = [f"{len(site.cases)} case(s)", f"{len(site.policies)} polic{'y' if len(site.policies) == 1 else 'ies'}"]
    checked += ["the needs analysis"] if site.needs else []
    print(f"ok: {', '.join(checked)} and the guide are valid" + (" (draft)" if args.draft else ""))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import stale_schemas, write_schemas

    root = _project(args)
    if args.check:
        stale = list(stale_schemas(root))
        if stale:
            print("stale: " + ", ".join(stale) + " — run `python -m site_builder schema`", file=sys.stderr)
            return EXIT_CONTENT
        print("ok: schema/ is up to date")
        return EXIT_OK
    changed = write_schemas(root)
    print("wrote " + ", ".join(str(p.relative_to(root)) for p in changed) if changed else "schema/ is up to date")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import default_id, next_section, render_case

    root = _project(args)
    site_guide = content.load_guide(root)
    partners = [p.id for p in site_guide.partners]
    if args.partner not in partners:
        raise UsageError(f"unknown partner '{args.partner}'; choose one of: {', '.join(partners)}")
    taken = content.taken_sections(root)
    section = next_section(site_guide, args.partner, taken)
    case_id = args.id or default_id(section)
    try:
        from .models import _check_slug

        _check_slug(case_id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = root / content.CASES_DIR / f"{case_id}.yaml"
    if path.exists():
        raise UsageError(f"{path.relative_to(root)} already exists; choose another --id")
    path.write_text(render_case(site_guide, args.partner, case_id, section, dt.date.today().year), encoding="utf-8")
    print(f"wrote {path.relative_to(root)} (section {section}); fill it in, then run "
          f"`python -m site_builder validate --draft {path.relative_to(root)}`")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    root = _project(args)
    output = Path(args.output) if args.output else root / "output"
    build(root, output, draft=args.draft, pdf=not args.no_pdf, base_url=args.base_url, search=not args.no_search)
    return EXIT_OK


def cmd_pdf(args: argparse.Namespace) -> int:
    from .build import build_pdfs_only

    root = _project(args)
    output = Path(args.output) if args.output else root / "output"
    build_pdfs_only(root, output, draft=args.draft)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    root = _project(args)
    if args.port < 0 or args.port > 65535:
        raise UsageError("--port must be between 0 and 65535")
    try:
        serve(root, host=args.host, port=args.port, draft=args.draft, pdf=args.pdf, search=not args.no_search)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({exc.strerror}); try another --port or --host") from None
    return EXIT_OK


def cmd_i18n(args: argparse.Namespace) -> int:
    from . import i18n

    root = _project(args)
    return i18n.run(root, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="site-builder",
        description="Build the CIPnet Good Practices Guide (D1.2.3): a bilingual website and PDF editions.",
        epilog="Exit codes: 0 ok, 1 content errors, 2 usage errors.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    parser.add_argument("--project", default=os.environ.get("SITE_BUILDER_PROJECT", "."),
                        help="the project folder (default: the current folder)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=func)
        return sub

    p = command("validate", cmd_validate, "Check every case and the guide data; report every problem with its place.")
    p.add_argument("files", nargs="*", help="case files to check (default: all of cases/)")
    p.add_argument("--draft", action="store_true", help="report missing translations as warnings, not errors")

    p = command("build", cmd_build, "Build the website and both PDF editions into the output folder.")
    p.add_argument("--output", "-o", metavar="DIR", help="output folder (default: output/)")
    p.add_argument("--no-pdf", action="store_true", help="build the website alone")
    p.add_argument("--no-search", action="store_true", help="skip the search index")
    p.add_argument("--draft", action="store_true", help="build even where translations are missing, and say so on the pages")
    p.add_argument("--base-url", default=os.environ.get("SITE_BASE_URL"),
                   help="URL path or full URL the site is served from, e.g. /guide/ or https://example.org/guide/ "
                   "(default: site_url in guide/guide.yaml, else /)")

    p = command("pdf", cmd_pdf, "Build the two PDF editions alone.")
    p.add_argument("--output", "-o", metavar="DIR", help="output folder (default: output/)")
    p.add_argument("--draft", action="store_true", help="build even where translations are missing")

    p = command("serve", cmd_serve, "Preview the site with live reload while you edit.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--draft", action="store_true", help="allow missing translations")
    p.add_argument("--pdf", action="store_true", help="also render the PDF editions, in the background after each change")
    p.add_argument("--no-search", action="store_true", help="skip the search index")

    p = command("new", cmd_new, "Start a new case file with every field and the next free section number.")
    p.add_argument("--partner", required=True, help="id of the consortium partner collecting the case (see guide/guide.yaml)")
    p.add_argument("--id", help="the new case's id (default: derived from its section number)")

    p = command("schema", cmd_schema, "Regenerate the JSON Schema in schema/ from the models.")
    p.add_argument("--check", action="store_true", help="only check that schema/ is up to date (exit 1 if not)")

    p = command("i18n", cmd_i18n, "Translation workflow: interface catalogs and the state of the content's Chinese text.")
    i18n_commands = p.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)
    i18n_commands.add_parser("status", help="report missing or stale translations of the content (exit 1 if any)")
    s = i18n_commands.add_parser("mark", help="record that the Chinese text of these files matches their English")
    s.add_argument("files", nargs="+")
    i18n_commands.add_parser("update", help="extract interface strings, update and compile the catalogs")
    return parser
