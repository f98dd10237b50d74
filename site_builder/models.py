"""The content models: a case study and the guide around it.

These pydantic models are the single source of truth for the content format.
The JSON Schema in `schema/` is generated from them (`site_builder schema`),
and every value the renderers see has passed through them.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .languages import LANGUAGE_CODES as LANGUAGES  # noqa: F401  -- the content keys of a Text
from .messages import _

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SECTION_PATTERN = r"^[1-9][0-9]*(\.[1-9][0-9]*){1,2}$"


def content_error(message: str, hint: str) -> PydanticCustomError:
    """Return a validation error whose message and fix hint the reporter can show (in either language)."""
    return PydanticCustomError("content", str(message), {"hint": hint, "message": message})


class Model(BaseModel):
    """Base for all content: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


class Text(Model):
    """A human-readable text in English and Simplified Chinese."""

    en: str = Field("", description="English text.")
    zh: str = Field("", description="Simplified Chinese text (简体中文).")

    def get(self, locale: str) -> str:
        """Return the text in `locale` ('' when it is missing)."""
        return getattr(self, locale)


class RichText(Text):
    """Text in both languages whose values are Markdown: paragraphs, lists, `####` sub-headings."""


# --- Scalar types -------------------------------------------------------------------

def check_slug(value: str) -> str:
    """Return `value` when it is a valid id; raise a validation error with a fix hint otherwise."""
    if not re.fullmatch(SLUG_PATTERN, value):
        suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "my-case"
        raise content_error(
            _("'%(value)s' is not a valid id", value=value),
            _("use lower-case letters, digits and hyphens only, e.g. '%(suggestion)s'", suggestion=suggestion),
        )
    return value


Slug = Annotated[str, AfterValidator(check_slug), Field(json_schema_extra={"pattern": SLUG_PATTERN})]


def _section_not_float(value: object) -> object:
    if isinstance(value, float):  # YAML reads an unquoted 2.1 as a number
        raise content_error(
            _("section number %(value)s was read as a number", value=value),
            _("quote it, e.g. section: \"2.1.1\""),
        )
    return value


def _check_section(value: str) -> str:
    # After the str type, so that a number turned into text (section: 3) is checked too.
    if not re.fullmatch(SECTION_PATTERN, value):
        raise content_error(
            _("'%(value)s' is not a section number", value=value),
            _("write the guide's numbering with dots, e.g. \"3.2.1\""),
        )
    return value


SectionNumber = Annotated[
    str,
    BeforeValidator(_section_not_float),
    AfterValidator(_check_section),
    Field(json_schema_extra={"pattern": SECTION_PATTERN}, examples=["3.2.1"]),
]

PARTIAL_DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD_SLASHES = re.compile(r"^(\d{4})[/.年](\d{1,2})[/.月](\d{1,2})日?$")


def _date_as_text(value: object) -> object:
    """Turn a year read as a whole number into text; refuse other numbers (2019.03 is no date)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        raise content_error(
            _("the date %(value)s was read as a number", value=value),
            _("quote it and write YYYY, YYYY-MM or YYYY-MM-DD, e.g. date: \"2019-03\""),
        )
    return value  # text is checked after the str type; anything else the str type reports


def _check_partial_date(value: str) -> str:
    """Accept YYYY, YYYY-MM or YYYY-MM-DD, keeping exactly the precision given.

    Runs after the str type, so that no coercion to text can skip the check.
    """
    value = value.strip()
    if m := _DMY.match(value):
        day, month, year = m.groups()
        raise content_error(
            _("'%(value)s' is not an ISO date", value=value),
            _("write day/month/year dates as YYYY-MM-DD: %(date)s", date=f"{year}-{int(month):02d}-{int(day):02d}"),
        )
    if m := _YMD_SLASHES.match(value):
        year, month, day = m.groups()
        raise content_error(
            _("'%(value)s' is not written as a date is written here", value=value),
            _("write it with hyphens and two-digit month and day: %(date)s",
              date=f"{year}-{int(month):02d}-{int(day):02d}"),
        )
    if not re.fullmatch(PARTIAL_DATE_PATTERN, value):
        raise content_error(
            _("'%(value)s' is not a date", value=value),
            _("write YYYY, YYYY-MM or YYYY-MM-DD (only the parts the source gives), e.g. 2019-04-05"),
        )
    parts = [int(p) for p in value.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        raise content_error(_("'%(value)s' is not a real calendar date", value=value),
                            _("check the month and day")) from None
    return value


PartialDate = Annotated[
    str,
    BeforeValidator(_date_as_text),
    AfterValidator(_check_partial_date),
    Field(
        json_schema_extra={"pattern": PARTIAL_DATE_PATTERN},
        description="YYYY, YYYY-MM or YYYY-MM-DD: only the precision the source gives.",
    ),
]


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or any(c.isspace() for c in value):
        hint = _("write one full address starting with https:// or http://")
        if not parts.scheme and "." in value.split("/")[0]:
            hint = _("write it in full, starting with https:// or http://: http://%(value)s", value=value)
        elif any(c.isspace() for c in value.strip()):
            hint = _("put each address in its own list item, without spaces")
        raise content_error(_("'%(value)s' is not a web address", value=value), hint)
    return value


Url = Annotated[str, AfterValidator(_check_url), Field(json_schema_extra={"format": "uri"})]


def _check_email(value: str) -> str:
    # Imported here: only a file that gives an address needs it (about 15 ms at every start otherwise).
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise content_error(_("'%(value)s' is not an e-mail address", value=value),
                            _("write it as name@example.org")) from None
    return value


def _empty_is_none(value: object) -> object:
    """Read an empty optional value (`email: ""`, as editors write it) as not given."""
    return None if isinstance(value, str) and not value.strip() else value


Email = Annotated[str, AfterValidator(_check_email), Field(json_schema_extra={"format": "email"})]

Region = Literal["EU", "China"]


# --- A case study, field by field as in the guide's template ------------------------

class Author(Model):
    """A case-study author as the source names them."""

    # May be empty in a draft (the scaffold leaves it so); content._check_cases reports it.
    name: str = Field(description="Personal name exactly as the source gives it.")
    name_zh: str | None = Field(
        None, min_length=1, description="The name in Chinese characters as the person or their institution writes it "
        "(e.g. 郭和), where known: Chinese pages show it instead of `name`. Leave it out rather than guess from pinyin.")
    role: Text | None = Field(None, description="Position or affiliation, where the source gives one.")


class Profile(Model):
    """PROFILE block of the template."""

    name: Text = Field(description="Case Study name.")
    short_description: RichText = Field(description="SHORT DESCRIPTION.")
    background: RichText | None = Field(None, description="BACKGROUND.")
    keywords: list[Text] = Field(default_factory=list, description="KEY WORDS, one per list item.")


class Impact(Model):
    """IMPACT / RESULTS / OUTCOMES block of the template."""

    achievements: RichText | None = Field(None, description="ACHIEVEMENTS.")
    awards: RichText | None = Field(None, description="AWARDS.")
    key_success_factors: RichText | None = Field(None, description="KEY SUCCESS FACTORS.")
    impact: RichText | None = Field(None, description="IMPACT.")


class Image(Model):
    """PHOTOGRAPH / DIAGRAM of the template."""

    file: str | None = Field(
        None,
        description="Path of the image relative to the project root, e.g. cases/images/x.png. "
        "Leave it out when the source's image is not available: the description in `alt` is shown instead.",
    )
    alt: Text = Field(description="Text alternative: what the image shows, including any words in it.")
    caption: Text | None = Field(None, description="Caption shown under the image.")


class Sources(Model):
    """INFORMATION SOURCES block of the template."""

    websites: list[Url] = Field(default_factory=list, description="WEBSITE: full addresses, one per list item.")


class Contact(Model):
    """CONTACT DETAILS block; the source leaves many of these empty."""

    name: str | None = Field(None, description="Surname, Name: exactly as the source gives it.")
    name_zh: str | None = Field(
        None, min_length=1, description="The name in Chinese characters as the person or their institution writes it, "
        "where known: Chinese pages show it instead of `name`. Leave it out rather than guess from pinyin.")
    role: Text | None = None
    institution: Text | None = None
    address: Text | None = None
    telephone: str | None = None
    email: Annotated[Email | None, BeforeValidator(_empty_is_none)] = None


class Case(Model):
    """One case study of the guide."""

    id: Slug = Field(description="Stable identifier; also the file name (cases/<id>.yaml) and the page URL.")
    section: SectionNumber = Field(description="Section number in the guide, e.g. \"2.1.1\".")
    region: Region = Field(description="EU or China.")
    partner: Slug = Field(description="Id of the consortium partner that collected the case (see guide/guide.yaml).")
    institution: Text = Field(description="HEI name: the institution the case is about.")
    country: Text
    authors: list[Author] = Field(default_factory=list, description="Case study author(s).")
    target_groups: list[Text] = Field(default_factory=list, description="Target groups, one short label per list item.")
    target_groups_detail: RichText | None = Field(
        None, description="Where the source describes the target groups at length: that description, in Markdown."
    )
    date: PartialDate | None = None
    themes: list[Slug] = Field(default_factory=list, description="Ids of the guide's themes (guide/guide.yaml) the case belongs to.")
    profile: Profile
    impact: Impact = Field(default_factory=Impact, description="IMPACT / RESULTS / OUTCOMES.")
    image: Image | None = None
    information_sources: Sources = Field(default_factory=Sources)
    contact: Contact | None = None
    update_of: Slug | None = Field(None, description="Id of the case this one updates.")
    editorial_notes: list[Text] = Field(
        default_factory=list, description="Where this file corrects its source: what was corrected and why."
    )

    @property
    def title(self) -> Text:
        """Return the case's name."""
        return self.profile.name

    @property
    def section_key(self) -> tuple[int, ...]:
        """Return the section number as a sortable tuple."""
        return tuple(int(p) for p in self.section.split("."))


# --- The guide around the cases -----------------------------------------------------

class Partner(Model):
    """A consortium partner."""

    id: Slug
    name: Text
    country: Text
    region: Region
    role: Text | None = Field(None, description="e.g. Project Coordinator.")
    website: Url | None = None


class Acronym(Model):
    acronym: str = Field(min_length=1)
    expansion: Text


class Theme(Model):
    """A theme that groups cases across partners."""

    id: Slug
    name: Text
    description: Text | None = None


class Chapter(Model):
    """A numbered introduction chapter with Markdown body."""

    number: SectionNumber
    title: Text
    body: RichText


class PartnerSection(Model):
    """A section of chapter 2 or 3: the cases one partner collected."""

    number: SectionNumber
    partner: Slug


class CaseChapter(Model):
    number: str = Field(pattern=r"^[1-9][0-9]*$")
    title: Text
    region: Region
    sections: list[PartnerSection]


class Project(Model):
    name: Text
    acronym: str
    grant_number: str
    website: Url
    programme: Text
    executive_agency: Text | None = None


class Person(Model):
    name: str
    role: Text | None = None


class Office(Model):
    name: Text
    website: Url


class Guide(Model):
    """Everything in the guide that is not a case study."""

    title: Text
    short_title: Text
    site_url: Url | None = Field(
        None,
        description="The address the website is published at, e.g. https://guide.example.org/ (the build's "
        "--base-url overrides it). Canonical links, language alternates, the sitemap, the feed and the "
        "citations need it; without it the build leaves them out and warns.",
    )
    deliverable: str
    year: int
    project: Project
    editors: list[Person]
    authoring_note: RichText = Field(description="Who wrote the document, as the source states it.")
    edited_by: Text
    contact: Office
    partners: list[Partner]
    acknowledgements: RichText
    legal_notice: RichText
    citation: Text
    funding_statement: RichText
    cofunding_line: Text = Field(description="Short Erasmus+ co-funding line for footers and the cover.")
    disclaimer: Text = Field(description="The European Commission disclaimer.")
    source_acknowledgement: RichText = Field(
        description="The acknowledgement of the source that every page and PDF carries."
    )
    acronyms: list[Acronym]
    introduction: Text = Field(description="Title of chapter 1.")
    introduction_chapters: list[Chapter]
    case_chapters: list[CaseChapter]
    themes: list[Theme]

    def partner(self, partner_id: str) -> Partner:
        """Return the partner with this id."""
        return next(p for p in self.partners if p.id == partner_id)


# --- Policy context: the national and regional policies the cases sit in -------------

Jurisdiction = Literal["national", "shanghai", "liaoning"]


class PolicyTarget(Model):
    """A quantified target of a policy, with its figure exactly as the source writes it."""

    figure: str = Field(min_length=1, description="The number as the source gives it, e.g. \"1000\" or \"2025\".",
                        examples=["1000"])
    text: Text = Field(description="The target in a sentence that contains the figure.")


class PolicySummary(Model):
    """A faithful structured summary of a policy document."""

    purpose: RichText = Field(description="Why the policy was issued and what it aims at.")
    main_tasks: RichText = Field(description="The main tasks or measures, as a list.")
    targets: list[PolicyTarget] = Field(default_factory=list, description="Quantified targets with their figures.")
    conditions: RichText | None = Field(None, description="Eligibility or application conditions, where given.")
    organisation: RichText = Field(description="Organisation and implementation: who does what, and how.")


class PolicySource(Model):
    """Where the policy's text comes from."""

    title: Text = Field(description="Title of the source document or web page.")
    url: Url | None = Field(None, description="Address of the official text, where known.")
    language: Literal["en", "zh"] = Field(description="Language of the source text the summary was made from.")


class Policy(Model):
    """A national or regional policy document (file: policies/<id>.yaml)."""

    id: Slug = Field(description="Stable identifier; also the file name (policies/<id>.yaml) and the page URL.")
    title: Text = Field(description="Full title of the document.")
    short_title: Text = Field(description="Short title for lists and links.")
    issuers: list[Text] = Field(min_length=1, description="Issuing bodies, one per list item.")
    document_number: str | None = Field(None, description="Official document number, e.g. 沪知局〔2022〕21号.")
    date: PartialDate = Field(description="Date of issue: YYYY, YYYY-MM or YYYY-MM-DD.")
    period: Text | None = Field(None, description="Period the policy covers, where it states one.")
    jurisdiction: Jurisdiction = Field(description="national, shanghai or liaoning.")
    source: PolicySource
    summary: PolicySummary
    themes: list[Slug] = Field(min_length=1, description="Ids of the guide's themes (guide/guide.yaml) it touches.")
    editorial_notes: list[Text] = Field(
        default_factory=list, description="Where this file corrects its source: what was corrected and why."
    )


# --- The needs-analysis survey behind the guide --------------------------------------

class ChartSeries(Model):
    """One group of respondents a chart compares, e.g. TTO leaders."""

    id: Slug
    label: Text


class ChartRow(Model):
    """One bar group: a label and a percentage per series (null where the source gives none)."""

    label: Text
    values: dict[Slug, float | None] = Field(description="Percentage per series id; null where the source lacks it.")


class Chart(Model):
    """A percentage chart drawn at build time as inline SVG, with the same numbers in a table."""

    id: Slug
    title: Text
    description: Text = Field(description="Text alternative: what the chart shows, in a sentence.")
    series: list[ChartSeries] = Field(min_length=1)
    rows: list[ChartRow] = Field(min_length=1)


class Section(Model):
    """A titled passage of a page."""

    title: Text
    body: RichText


class NeedsAnalysis(Model):
    """The needs-analysis survey of Chinese HEIs (file: guide/needs-analysis.yaml)."""

    title: Text
    event: Text = Field(description="Where and when the findings were presented.")
    date: PartialDate
    source: PolicySource
    sections: list[Section] = Field(min_length=1, description="Objective, method, respondents, findings…")
    charts: list[Chart] = Field(default_factory=list)
    conclusions: RichText
