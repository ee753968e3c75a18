"""Who wrote in, and what they want: the rules an SDR applies in the first second of reading a lead.

Spam, a vendor pitching us, a competitor, a student, a job seeker, or a prospect; then whether the
prospect wants to talk (a demo, a call, a pricing request from a talk source) or asks a question,
and which approved answers cover it. Rules, not a model: each decision has a phrase to show for
it, and a form fill is short and formulaic enough that phrases carry it, in five languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.accounts.records import domain_of
from agent.campaign.inbound import ApprovedAnswer, InboundSpec
from agent.inbound.lead import InboundLead

Kind = Literal["prospect", "spam", "vendor", "competitor", "student", "job_seeker"]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_SPAM = _any(
    r"\bseo\b",
    r"backlinks?",
    r"guest posts?",
    r"rank(ing)? (your (site|website)|#?1|first|higher) on google",
    r"\b(casino|crypto(currency)?|bitcoin|forex|viagra|cialis|lottery|payday loans?)\b",
    r"make money|work from home|earn \$|\$\$+|click here|you have won|\bwinner\b",
    r"<\s*(script|a\s+href)|\[url=",
)
_VENDOR = _any(
    r"\bwe (can )?help (companies|businesses|brands|teams|firms|saas companies|sales teams) (like|such as)",
    r"\bour (agency|firm|company|team) (specializes|specialises|offers|provides|helps|builds)",
    r"\bwe (offer|provide|specialize in|specialise in|deliver) (\w+ )?(services|solutions|development|outsourcing"
    r"|lead generation|leads|staff)",
    r"lead generation|appointment setting|staff augmentation|outsourc|offshore|white[- ]label",
    r"(web|app|software|mobile) development (services|agency|company|team)",
    r"(would you|are you) (be )?open to (a )?(quick )?(call|chat) to (discuss|explore) how (we|our)",
    r"i('d| would) love to show you how (we|our)",
    r"(increase|boost|grow|double) your (sales|revenue|leads|pipeline|meetings)",
    r"\bwe noticed your (website|company|team)",
    r"nosotros ofrecemos|ofrecemos servicios|nous proposons (des|nos) services|wir bieten (ihnen )?(unsere )?"
    r"(dienstleistungen|leistungen)|oferecemos servi[cç]os",
)
_STUDENT = _any(
    r"\b(i'?m|i am) an? (\w+ )?(student|undergrad|undergraduate|graduate student|phd student|master'?s student)",
    r"\bmy (thesis|dissertation|capstone|coursework|assignment|class project|university project|school project"
    r"|research project|master'?s project)",
    r"\bfor (a|my|our) (class|course|school|university|college) (project|assignment|paper)",
    r"\bestudiante\b|\bmi tesis\b|\btrabajo de fin de (grado|m[aá]ster)",
    r"\b[ée]tudiant(e)?\b|\bmon m[ée]moire\b",
    r"\bstudent(in)?\b.*\b(universit[äa]t|hochschule)|\b(master|bachelor|abschluss)arbeit",
    r"\bestudante\b|\bmeu tcc\b|trabalho de conclus[aã]o",
)
_STUDENT_TITLE = _any(r"\bstudent\b", r"\bstudying\b", r"\bundergrad", r"\bphd candidate\b", r"\bestudiante\b",
                      r"\b[ée]tudiant", r"\bstudentin\b", r"\bestudante\b")  # fmt: skip
_ACADEMIC = re.compile(r"(\.edu|\.ac\.[a-z]{2}|\.edu\.[a-z]{2})$|(^|\.)(student|students|alumni)\.", re.IGNORECASE)
_JOB_SEEKER = _any(
    r"\b(looking for|seeking|searching for|in search of) (a |an |any )?(new )?(job|position|role|opening|internship"
    r"|employment|work opportunit)",
    r"\bappl(y|ying|ied) (for|to) (a |an |the |your )?(\w+ )?(job|position|role|opening|internship|vacancy)",
    r"\bmy (resume|résumé|cv|curriculum vitae)\b",
    r"\b(open|available) (positions|roles|jobs|vacancies)\b",
    r"\bare you (currently )?hiring\b",
    r"\bjoin your (team|company)\b",
    r"\bcareer opportunit",
    r"\bbusco (trabajo|empleo)|\bvacantes?\b|\bmi (cv|curr[ií]culum)\b|\bpostular(me)?\b",
    r"\bcandidature\b|\bcherche (un |une )?(emploi|poste|stage|alternance)\b|\bmon cv\b",
    r"\bbewerbung\b|\blebenslauf\b|\bsuche (eine |einen )?(stelle|arbeit|job|praktikum)\b",
    r"\bvagas?\b.*\b(emprego|trabalho|aberta)|\bcurr[ií]culo\b|\bmeu cv\b|\bprocuro (emprego|trabalho)",
)
_TALK = _any(
    r"\bdemo(s|nstration)?\b",
    r"\bwalk ?through\b",
    r"\b(a |quick |short |intro |introductory |discovery )(call|meeting|chat)\b",
    r"\b(talk|speak|meet) (to|with) (someone|sales|your|you|an? )",
    r"\b(set up|schedule|book|arrange) (a |an )?(time|call|meeting|demo|session)",
    r"\bcall me\b|\bget in touch with me\b",
    r"\bdemostraci[oó]n\b|\breuni[oó]n\b|\bllamada\b",
    r"\bd[ée]monstration\b|\bd[ée]mo\b|\brendez-vous\b|\bun appel\b",
    r"\bvorf[üu]hrung\b|\btermin\b|\bgespr[äa]ch\b",
    r"\bdemonstra[cç][aã]o\b|\breuni[aã]o\b|\bliga[cç][aã]o\b|\bconversa\b",
)
_QUESTION_START = _any(r"^\s*(are|is|do|does|did|can|could|how|what|which|where|when|who|will|would|have|has)\b",
                       r"^\s*(¿|est-ce|sind|ist|haben|können|können|vocês|voc[eê]s)")  # fmt: skip
# A greeting names a part of the day without proposing a time ("Good morning", "Guten Abend").
_GREETING = re.compile(
    r"^[ \t]*(?:(?:hi|hello|dear)\b[^,\n]{0,40},?[ \t]*)?"
    r"(?:good (?:morning|afternoon|evening|day)|guten (?:morgen|tag|abend)|buenos d[ií]as|buenas (?:tardes|noches)"
    r"|bonjour|bonsoir|bom dia|boa (?:tarde|noite))\b(?:[ \t]*[,.!:;])?",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Screen:
    kind: Kind
    reason: str


def _found(pattern: re.Pattern[str], *texts: str | None) -> str | None:
    for text in texts:
        if text and (match := pattern.search(text)):
            return match.group(0).strip()
    return None


def _is_competitor(lead: InboundLead, competitors: list[str]) -> str | None:
    domains = {lead.email.rsplit("@", 1)[1]} | ({domain_of(lead.website)} if lead.website else set())
    company = (lead.company or "").lower()
    for entry in competitors:
        wanted = entry.strip().lower()
        if "." in wanted and any(d == wanted or d.endswith("." + wanted) for d in domains):
            return entry
        if "." not in wanted and company and re.search(rf"\b{re.escape(wanted)}\b", company):
            return entry
    return None


def screen(lead: InboundLead, spec: InboundSpec) -> Screen:
    """Who this is, checked in the order that keeps the costly mistakes away (answering spam or a rival)."""
    text, fields = lead.message, (lead.name, lead.company, lead.title)
    links = len(_URL.findall(text))
    if phrase := _found(_SPAM, text, *fields):
        return Screen("spam", f"spam: {phrase!r}")
    if links >= 2:
        return Screen("spam", f"spam: {links} links in the message")
    if competitor := _is_competitor(lead, spec.competitors):
        return Screen("competitor", f"competitor ({competitor})")
    if phrase := _found(_VENDOR, text):
        return Screen("vendor", f"vendor pitching us: {phrase!r}")
    academic = bool(_ACADEMIC.search(lead.email.rsplit("@", 1)[1]))
    if phrase := _found(_STUDENT, text) or _found(_STUDENT_TITLE, lead.title):
        return Screen("student", f"student: {phrase!r}")
    if academic and not lead.title:
        return Screen("student", f"student: an academic address ({lead.email.rsplit('@', 1)[1]}) and no title")
    if phrase := _found(_JOB_SEEKER, text, lead.title):
        return Screen("job_seeker", f"job seeker: {phrase!r}")
    return Screen("prospect", "a prospect")


def wants_to_talk(lead: InboundLead, spec: InboundSpec) -> str | None:
    """Why the lead wants to talk, if they do: the form they used, or their own words."""
    source = lead.source.lower()
    if any(s.lower() in source for s in spec.talk_sources):
        return f"asked through the {lead.source!r} form"
    if phrase := _found(_TALK, lead.message):
        return f"asks to talk: {phrase!r}"
    return None


def approved_answers(lead: InboundLead, spec: InboundSpec) -> list[ApprovedAnswer]:
    """The approved answers whose keywords the message names, in the campaign file's order."""
    text = lead.message
    return [
        a
        for a in spec.answers
        if any(re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text, re.IGNORECASE) for k in a.keywords)
    ]


def asks_question(lead: InboundLead) -> bool:
    return "?" in lead.message or any(_QUESTION_START.search(s) for s in re.split(r"[.!\n]+", lead.message))


def without_greeting(text: str) -> str:
    """The message without its greetings, so that "Good morning" is not read as a time to meet."""
    return _GREETING.sub("", text).strip()
