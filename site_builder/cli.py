"""The command line: `python -m site_builder COMMAND` (also installed as `site-builder`).

Exit codes: 0 ok, 1 content errors, 2 usage errors, 3 environment errors (a folder that
cannot be written, a full disk, another build holding the output folder too long, a missing
font).
"""
from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

from . import __version__, content
from .messages import Message, _, language_from_environment, set_language
from .paths import (
    CACHE_DIR,
    CASES_DIR,
    DRAFTS_DIR,
    GUIDE_DIR,
    GUIDE_FILE,
    OUTPUT_DIR,
    POLICIES_DIR,
    SCHEMA_DIR,
    THEME_DIR,
    TRANSLATIONS_DIR,
    is_project,
)
from .problems import ContentError, EnvironmentProblem, Problem, report

log = logging.getLogger("site_builder")

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3


class UsageError(Exception):
    """A command was called wrongly (exit 2)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    set_language(_language_option(sys.argv[1:] if argv is None else argv) or language_from_environment())
    parser = _parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")
    # WeasyPrint and fontTools report progress at INFO; keep their warnings only.
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    if threading_main() and args.run is not cmd_serve:  # serve stops itself cleanly on SIGTERM
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` ends a build like Ctrl+C: staging removed, workers ended
    from .write import OutputBusy, UnsafePath

    try:
        return args.run(args)
    except OSError as exc:
        print(_("%(prog)s: error: %(message)s", prog=parser.prog, message=describe_os_error(exc)).render(),
              file=sys.stderr)
        return EXIT_ENVIRONMENT
    except (OutputBusy, UnsafePath) as exc:
        print(_("%(prog)s: error: %(message)s", prog=parser.prog, message=str(exc)).render(), file=sys.stderr)
        return EXIT_ENVIRONMENT
    except UsageError as exc:
        parser.exit(EXIT_USAGE, _("%(prog)s: error: %(message)s", prog=parser.prog, message=str(exc)).render() + "\n")
    except ContentError as exc:
        report(exc.problems)
        return EXIT_CONTENT
    except EnvironmentProblem as exc:
        report(exc.problems)
        return EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return 130


def threading_main() -> bool:
    """Return whether this is the main thread (the only one that may set signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _interrupt(number: int, frame) -> None:
    raise KeyboardInterrupt


def describe_os_error(exc: OSError) -> str:
    """Return an operating-system error in one line: the path and the cause."""
    cause = exc.strerror or str(exc)
    if exc.filename is None:
        return cause
    path = os.fsdecode(exc.filename)
    if exc.errno == errno.ENOSPC:
        return _("%(path)s: the disk is full (%(cause)s); free some space and build again", path=path,
                 cause=cause).render()
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _("%(path)s: %(cause)s; check the folder's owner and permissions, or choose another output folder",
                 path=path, cause=cause).render()
    return f"{path}: {cause}"


def _project(args: argparse.Namespace) -> Path:
    root = Path(args.project).resolve()
    if not is_project(root):
        raise UsageError(_("%(root)s is not a guide project (no %(guide)s and %(cases)s/); run the command from "
                           "the project's folder or pass --project", root=root, guide=GUIDE_FILE,
                           cases=CASES_DIR).render())
    return root


def cmd_validate(args: argparse.Namespace) -> int:
    root = _project(args)
    files = [Path(f) for f in args.files] or None
    for f in files or []:
        if not f.is_file():
            raise UsageError(_("no such file: %(file)s", file=f).render())
    parsed = content.ParsedFiles()
    site, warnings = content.load_site(root, draft=args.draft, files=files, parsed=parsed)
    warnings += _glossary_problems(root, site, parsed, named=files is not None, strict=args.strict)
    report(warnings)
    if any(p.severity == "error" for p in warnings):
        return EXIT_CONTENT
    if not args.quiet:
        done = _("ok: %(cases)d case(s), %(policies)d policy file(s) and the guide are valid",
                 cases=len(site.cases), policies=len(site.policies))
        if site.needs:
            done = _("ok: %(cases)d case(s), %(policies)d policy file(s), the needs analysis and the guide are valid",
                     cases=len(site.cases), policies=len(site.policies))
        print(done.render() + (_(" (draft)").render() if args.draft else ""))
    return EXIT_OK


def _glossary_problems(root: Path, site: content.Site, parsed: content.ParsedFiles, *, named: bool,
                       strict: bool) -> list[Problem]:
    """Check the Chinese against the glossary: warnings, or errors with --strict (the default in CI).

    The cases and policies, and the guide unless files were `named` on the command line, each
    with the document load_site read it from (kept in `parsed`).
    """
    from .glossary import glossary_problems

    documents = {id(loaded[1]): loaded[0] for loaded, _found in parsed.values() if loaded[0] and loaded[1]}
    models = [*([] if named else [site.guide]), *site.cases, *site.policies]
    return glossary_problems(root, [(documents[id(model)], model) for model in models if id(model) in documents],
                             strict=strict)


def _in_ci() -> bool:
    """Return whether a CI service runs us (they set CI=true)."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import stale_schemas, write_schemas

    root = _project(args)
    if args.check:
        stale = list(stale_schemas(root))
        if stale:
            print(_("stale: %(files)s — run `python -m site_builder schema`", files=", ".join(stale)).render(),
                  file=sys.stderr)
            return EXIT_CONTENT
        print(_("ok: schema/ is up to date").render())
        return EXIT_OK
    changed = write_schemas(root)
    print((_("wrote %(files)s", files=", ".join(str(p.relative_to(root)) for p in changed)) if changed
           else _("schema/ is up to date")).render())
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import default_id, next_section, render_case

    root = _project(args)
    site_guide = content.load_guide(root)
    partners = [p.id for p in site_guide.partners]
    if args.partner not in partners:
        raise UsageError(_("unknown partner '%(id)s'; choose one of: %(ids)s", id=args.partner,
                           ids=", ".join(partners)).render())
    taken = content.taken_sections(root)
    section = next_section(site_guide, args.partner, taken)
    case_id = args.id or default_id(section)
    try:
        from .models import check_slug

        check_slug(case_id)
    except ValueError:
        suggestion = "-".join(filter(None, "".join(c if c.isalnum() and c.isascii() else " "
                                                   for c in case_id.lower()).split())) or "my-case"
        raise UsageError(_("'%(id)s' is not a valid id: an id is lower-case Latin letters, digits and hyphens "
                           "(no spaces, capitals or Chinese), e.g. nankai-tech-transfer-office; it becomes the file "
                           "name and the page's address. Try --id %(suggestion)s",
                           id=case_id, suggestion=suggestion).render()) from None
    path = root / CASES_DIR / f"{case_id}.yaml"
    if path.exists():
        raise UsageError(_("%(file)s already exists; choose another --id", file=path.relative_to(root)).render())
    path.write_text(render_case(site_guide, args.partner, case_id, section), encoding="utf-8")
    print(_("wrote %(file)s (section %(section)s); fill it in, then run "
            "`python -m site_builder validate --draft %(file)s`", file=path.relative_to(root), section=section).render())
    return EXIT_OK


# The project's own folders: an output folder is replaced whole by each build, so it may be none of these.
_PROJECT_FOLDERS = {CASES_DIR, POLICIES_DIR, DRAFTS_DIR, GUIDE_DIR.name, SCHEMA_DIR.name, THEME_DIR.parts[0],
                    TRANSLATIONS_DIR.name, CACHE_DIR.name, "docs", "tests", "bench", "site_builder", ".git"}


def _output(args: argparse.Namespace, root: Path) -> Path:
    """Return the output folder, refusing one whose replacement would take the project's own files with it."""
    output = Path(args.output).resolve() if args.output else root / OUTPUT_DIR
    inside = output.relative_to(root).parts if output.is_relative_to(root) else ()
    if root.is_relative_to(output) or (inside and inside[0] in _PROJECT_FOLDERS):
        raise UsageError(_("%(output)s holds the project's own files, and each build replaces its output folder "
                           "whole; choose another folder, e.g. -o %(default)s", output=str(output),
                           default=OUTPUT_DIR).render())
    return output


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    root = _project(args)
    output = _output(args, root)
    build(root, output, draft=args.draft, pdf=not args.no_pdf, base_url=args.base_url, search=not args.no_search)
    return EXIT_OK


def cmd_pdf(args: argparse.Namespace) -> int:
    from .build import build_pdfs_only

    root = _project(args)
    output = _output(args, root)
    build_pdfs_only(root, output, draft=args.draft)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    root = _project(args)
    if args.port < 0 or args.port > 65535:
        raise UsageError(_("--port must be between 0 and 65535").render())
    try:
        serve(root, host=args.host, port=args.port, draft=args.draft, pdf=args.pdf, search=not args.no_search,
              editor=not args.no_editor)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        raise UsageError(_("cannot listen on %(host)s:%(port)s (%(reason)s); try another --port or --host",
                           host=args.host, port=args.port, reason=exc.strerror).render()) from None
    return EXIT_OK


def cmd_i18n(args: argparse.Namespace) -> int:
    from . import i18n

    root = _project(args)
    return i18n.run(root, args)


# --- options and help, in the editor's language --------------------------------------------------------

# argparse looks its own words up through its module's `_` at each call: the ones an editor
# can meet are listed here so that the catalog holds them, and _parser routes them through it.
_ARGPARSE_WORDS = (
    _("usage: "), _("options"), _("positional arguments"), _("show this help message and exit"),
    _("the following arguments are required: %s"), _("unrecognized arguments: %s"),
    _("invalid choice: %(value)r (choose from %(choices)s)"), _("argument %(argument_name)s: %(message)s"),
    _("expected one argument"), _("invalid %(type)s value: %(value)r"), _("not allowed with argument %s"),
    _("ambiguous option: %(option)s could match %(matches)s"), _("%(prog)s: error: %(message)s\n"),
)


def _argparse_words(text: str) -> str:
    return Message(text).render()


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help with its section headings ended as the language ends them ("选项：", not "选项:")."""

    def start_section(self, heading: str | None) -> None:
        self._headings = [*getattr(self, "_headings", []), heading]
        super().start_section(heading)

    def format_help(self) -> str:
        text = super().format_help()
        for heading in filter(None, getattr(self, "_headings", [])):  # argparse writes "heading:" itself, a line
            ended = _("%(heading)s:", heading=heading).render()
            text = re.sub(f"(?m)^{re.escape(heading)}:$", lambda _match: ended, text)
        return text


class _Parser(argparse.ArgumentParser):
    """The CLI's parser: every command's parser (argparse makes them of this class too) uses _HelpFormatter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def _language_option(argv: list[str]) -> str | None:
    """Return the value of --lang anywhere in `argv` (the help must be in that language too)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _common_options(*, top: bool) -> _Parser:
    """Return the options every command takes, before or after its name.

    After the command's name they default to "not given", so that they never
    undo the same option given before it.
    """
    common = _Parser(add_help=False)
    default: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help=_("print more detail").render(), **default)
    noise.add_argument("-q", "--quiet", action="store_true",
                       help=_("print only warnings and errors").render(), **default)
    common.add_argument("--lang", choices=("zh", "en"),
                        help=_("language of the messages (default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG)"
                               ).render(), **default)
    return common


def _parser() -> argparse.ArgumentParser:
    argparse._ = _argparse_words  # type: ignore[attr-defined]
    parser = _Parser(
        prog="site-builder",
        description=_("Build the CIPnet Good Practices Guide (D1.2.3): a bilingual website and PDF editions.").render(),
        epilog=_("Exit codes: 0 ok, 1 content errors, 2 usage errors, 3 environment errors (unwritable folder, "
                 "full disk, output busy, missing font).").render(),
        parents=[_common_options(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help=_("print the version and stop").render())
    parser.add_argument("--project", default=os.environ.get("SITE_BUILDER_PROJECT", "."),
                        help=_("the project folder (default: the current folder)").render())
    commands = parser.add_subparsers(title=_("commands").render(), metavar="COMMAND", required=True)
    common = _common_options(top=False)

    def command(name: str, func, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, parents=[common])
        sub.set_defaults(run=func)
        return sub

    p = command("validate", cmd_validate,
                _("Check every case and the guide data; report every problem with its place.").render())
    p.add_argument("files", nargs="*", help=_("case files to check (default: all of cases/)").render())
    p.add_argument("--draft", action="store_true",
                   help=_("report missing translations as warnings, not errors").render())
    p.add_argument("--strict", action="store_true", default=_in_ci(),
                   help=_("report Chinese that does not follow the glossary as errors, not warnings "
                          "(the default when the CI environment variable is true)").render())

    p = command("build", cmd_build, _("Build the website and both PDF editions into the output folder.").render())
    p.add_argument("--output", "-o", metavar="DIR", help=_("output folder (default: output/)").render())
    p.add_argument("--no-pdf", action="store_true", help=_("build the website alone").render())
    p.add_argument("--no-search", action="store_true", help=_("skip the search index").render())
    p.add_argument("--draft", action="store_true",
                   help=_("build even where translations are missing, and say so on the pages").render())
    p.add_argument("--base-url", default=os.environ.get("SITE_BASE_URL"),
                   help=_("URL path or full URL the site is served from, e.g. /guide/ or "
                          "https://example.org/guide/ (default: site_url in guide/guide.yaml, else /)").render())

    p = command("pdf", cmd_pdf, _("Build the two PDF editions alone.").render())
    p.add_argument("--output", "-o", metavar="DIR", help=_("output folder (default: output/)").render())
    p.add_argument("--draft", action="store_true", help=_("build even where translations are missing").render())

    p = command("serve", cmd_serve, _("Preview the site with live reload while you edit.").render())
    p.add_argument("--host", default="127.0.0.1",
                   help=_("address to listen on (default: 127.0.0.1, this machine only)").render())
    p.add_argument("--port", type=int, default=8000, help=_("port (default: 8000)").render())
    p.add_argument("--draft", action="store_true", help=_("allow missing translations").render())
    p.add_argument("--pdf", action="store_true",
                   help=_("also render the PDF editions, in the background after each change").render())
    p.add_argument("--no-search", action="store_true", help=_("skip the search index").render())
    p.add_argument("--no-editor", action="store_true",
                   help=_("turn off the case editor in the browser (the Edit and New case links)").render())

    p = command("new", cmd_new, _("Start a new case file with every field and the next free section number.").render())
    p.add_argument("--partner", required=True,
                   help=_("id of the consortium partner collecting the case (see guide/guide.yaml)").render())
    p.add_argument("--id", help=_("the new case's id: lower-case letters, digits and hyphens, e.g. "
                                  "nankai-tech-transfer (default: derived from its section number)").render())

    p = command("schema", cmd_schema, _("Regenerate the JSON Schema in schema/ from the models.").render())
    p.add_argument("--check", action="store_true",
                   help=_("only check that schema/ is up to date (exit 1 if not)").render())

    p = command("i18n", cmd_i18n, _("Translation workflow: interface catalogs and the state of the content's "
                                    "Chinese text.").render())
    i18n_commands = p.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)
    i18n_commands.add_parser("status", parents=[common], help=_(
        "report missing or stale translations of the content (exit 1 if any)").render())
    s = i18n_commands.add_parser(
        "mark", parents=[common],
        help=_("record that the Chinese of these fields was translated from their current English").render(),
        description=_("Record that the Chinese of the named fields was (re)translated from their current English: "
                      "`i18n mark cases/x.yaml profile.name impact.awards`. A field name covers the texts inside it "
                      "(`profile.keywords`). With --all, every argument is a file and all its fields are marked."
                      ).render())
    s.add_argument("file", help=_("the content file").render())
    s.add_argument("fields", nargs="*", metavar="FIELD", help=_("field paths as `i18n status` shows them").render())
    s.add_argument("--all", action="store_true",
                   help=_("mark every field of the files given (each argument is a file)").render())
    s = i18n_commands.add_parser(
        "export", parents=[common],
        help=_("write the content's texts for translation tools as PO and XLIFF 1.2, and the glossary "
               "(into exchange/)").render(),
        description=_("Write one unit per bilingual text, keyed by file and field, with the English as source, the "
                      "current Chinese as target, its state (new, stale, translated), the glossary terms as notes "
                      "and, for a stale unit, the English its Chinese was made from.").render())
    s.add_argument("files", nargs="*", help=_("content files to export (default: all)").render())
    s.add_argument("--format", choices=("po", "xliff", "all"), default="all",
                   help=_("exchange format (default: both)").render())
    s.add_argument("--output", "-o", metavar="DIR", help=_("folder to write into (default: exchange/)").render())
    s.add_argument("--pending", action="store_true", help=_("only the units that are new or stale").render())
    s = i18n_commands.add_parser(
        "import", parents=[common],
        help=_("check a translated PO or XLIFF file, write its Chinese into the content, mark it fresh").render(),
        description=_("Read a PO or XLIFF file made by `i18n export` and translated. Every unit is checked first "
                      "(known file and field, English unchanged since the export, Markdown structure kept); any "
                      "problem is reported with its place and nothing is written. Units still marked for review "
                      "(fuzzy, needs-review) are left as they are.").render())
    s.add_argument("file", help=_("the translated .po or .xlf file").render())
    s = i18n_commands.add_parser(
        "glossary", parents=[common],
        help=_("write translations/glossary.yaml for translation tools as TBX and CSV (into exchange/)").render())
    s.add_argument("--format", choices=("tbx", "csv", "all"), default="all", help=_("format (default: both)").render())
    s.add_argument("--output", "-o", metavar="DIR", help=_("folder to write into (default: exchange/)").render())
    i18n_commands.add_parser("migrate", parents=[common], help=_(
        "upgrade translations/content-sources.json from fingerprints alone to the English itself "
        "(keeps every fresh and stale state)").render())
    i18n_commands.add_parser("update", parents=[common], help=_(
        "extract the interface strings (babel.cfg) and update the catalogs, as pybabel extract + update do").render())
    return parser
