"""Security-scenario templates: the indicators each type can plant and how content shows them.

A template builds a scenario's visible content from a seeded `random.Random`, the set of
indicators chosen for it and the caller's context (role, company type); the same inputs give
the same content. Indicator ids are what answers name; aliases are accepted spellings.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Indicator:
    id: str
    criterion: str
    explanation: str
    hint: str
    aliases: tuple[str, ...] = ()


Content = dict[str, Any]
Builder = Callable[[random.Random, frozenset[str], str, "Persona"], Content]


@dataclass(frozen=True)
class Persona:
    """Who the scenario is addressed to (from the request's `context`)."""

    role: str
    company: str
    domain: str


@dataclass(frozen=True)
class Template:
    type: str
    title: str
    description: str
    criteria: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    threat_aliases: tuple[str, ...]
    best_action: str
    acceptable_actions: tuple[str, ...]
    build: Builder


SAFE_ACTIONS: tuple[str, ...] = ("no_action", "proceed", "mark_safe")
_COMPANIES = {
    "tech_startup": ("Nimbus Labs", "nimbuslabs.io"),
    "bank": ("Harbor Trust Bank", "harbortrust.com"),
    "hospital": ("St. Aldric Hospital", "staldric.org"),
    "retail": ("Corner & Co", "cornerco.com"),
}
_DEFAULT_COMPANY = ("Acme Corp", "acme-corp.com")


def persona(context: dict[str, Any]) -> Persona:
    """The addressee a request's context describes (defaults: an employee of Acme Corp)."""
    role = str(context.get("user_role") or "employee").replace("_", " ")[:40]
    company, domain = _COMPANIES.get(str(context.get("company_type", "")), _DEFAULT_COMPANY)
    return Persona(role, company, domain)


def _pick(rng: random.Random, difficulty: str, obvious: list[str], subtle: list[str]) -> str:
    """Beginners see the blatant variant of a tell, advanced learners the subtle one."""
    if difficulty == "beginner":
        return rng.choice(obvious)
    if difficulty == "advanced":
        return rng.choice(subtle)
    return rng.choice([*obvious, *subtle])


# --- phishing -------------------------------------------------------------------------------


def _phishing(rng: random.Random, tells: frozenset[str], difficulty: str, p: Persona) -> Content:
    bad_sender = "suspicious_sender_domain" in tells
    sender = (
        _pick(rng, difficulty, ["security@fake-bank.com", "admin@account-verify.xyz"],
              [f"it-support@{p.domain.replace('.', '-')}.help", f"helpdesk@{p.domain}.co"])
        if bad_sender
        else f"it-support@{p.domain}"
    )  # fmt: skip
    subject = (
        rng.choice(["Urgent: Account Verification Required",
                    "Action required within 24 hours",
                    "Final notice: your mailbox will be suspended"])
        if "urgency_language" in tells
        else rng.choice(["Scheduled maintenance this weekend", "Updated expense policy"])
    )  # fmt: skip
    lines = ["Dear customer," if "generic_greeting" in tells else f"Hello {p.role},"]
    lines.append(
        "We detected unusual activity and your access will be disabled today unless you act now."
        if "urgency_language" in tells
        else f"Please review the attached notice about {p.company} systems."
    )
    if "request_for_credentials" in tells:
        lines.append("Confirm your username and password on the secure portal below.")
    if "spelling_errors" in tells:
        lines.append("Failure to complet this verificaton will result in acount suspension.")
    real = f"https://portal.{p.domain}/notice"
    links = [{"text": real, "href": real}]
    if "mismatched_link" in tells:
        fake = _pick(
            rng, difficulty, ["http://198.51.100.23/login"],
            [f"https://portal.{p.domain}.session-check.net"],
        )  # fmt: skip
        links = [{"text": real, "href": fake}]
    lines.append(f"Link: {links[0]['text']}")
    lines.append(f"Regards, IT Support, {p.company}")
    attachments = (
        [rng.choice(["verification_form.pdf.exe", "invoice_update.docm"])]
        if "suspicious_attachment" in tells
        else rng.choice([[], ["maintenance_schedule.pdf"]])
    )
    return {
        "email_subject": subject,
        "email_body": "\n".join(lines),
        "sender_address": sender,
        "sender_display_name": f"{p.company} IT Support",
        "recipient_role": p.role,
        "links": links,
        "attachments": attachments,
    }


PHISHING = Template(
    type="phishing",
    title="Suspicious Email Assessment",
    description="Evaluate the following email for potential phishing indicators",
    criteria=("sender_authenticity", "urgency_tactics", "suspicious_links", "attachment_safety"),
    indicators=(
        Indicator("suspicious_sender_domain", "sender_authenticity",
                  "The sender's domain is not the organisation's own domain.",
                  "Could have noted the sender's domain",
                  ("suspicious_sender", "spoofed_sender", "fake_sender", "suspicious_domain",
                   "sender_domain")),
        Indicator("urgency_language", "urgency_tactics",
                  "Deadlines and threats push the reader to act before thinking.",
                  "Could have noted the urgency tactics",
                  ("urgency", "urgent_language", "urgency_tactics", "time_pressure")),
        Indicator("request_for_credentials", "suspicious_links",
                  "Legitimate services never ask for passwords by email.",
                  "Could have noted the request for credentials",
                  ("credential_request", "password_request", "credential_harvesting",
                   "asks_for_credentials")),
        Indicator("mismatched_link", "suspicious_links",
                  "The link's visible text and its real destination differ.",
                  "Could have noted the link pointing elsewhere than it shows",
                  ("suspicious_link", "suspicious_links", "link_mismatch", "malicious_link")),
        Indicator("suspicious_attachment", "attachment_safety",
                  "A double extension or macro document can run code when opened.",
                  "Could have noted the suspicious attachment",
                  ("malicious_attachment", "attachment", "dangerous_attachment")),
        Indicator("generic_greeting", "sender_authenticity",
                  "A sender who knows you addresses you by name or role.",
                  "Could have noted the generic greeting",
                  ("generic_salutation", "impersonal_greeting")),
        Indicator("spelling_errors", "sender_authenticity",
                  "Careless spelling is common in mass phishing.",
                  "Could have noted the spelling mistakes",
                  ("typos", "grammar_errors", "poor_grammar", "spelling_mistakes")),
    ),
    threat_aliases=("phishing", "spear_phishing", "advanced_phishing", "email_phishing"),
    best_action="delete_and_report",
    acceptable_actions=("report", "report_phishing", "block_sender", "report_and_delete"),
    build=_phishing,
)  # fmt: skip


# --- social engineering ---------------------------------------------------------------------


def _social(rng: random.Random, tells: frozenset[str], difficulty: str, p: Persona) -> Content:
    caller = (
        _pick(rng, difficulty, ["the CEO's office", "the head of security"],
              ["Daniel from the IT service desk", "a contractor working for your manager"])
        if "impersonated_authority" in tells
        else "Priya from the IT service desk"
    )  # fmt: skip
    channel = "personal_messaging_app" if "unusual_channel" in tells else "company_phone"
    t = [f"Caller: Hi, this is {caller} at {p.company}."]
    if "urgency_pressure" in tells:
        t.append("Caller: The audit closes in ten minutes, so I need this right now.")
    else:
        t.append("Caller: I'm following up on the ticket you opened yesterday.")
    if "request_for_credentials" in tells:
        t.append("Caller: Read me the six-digit code that was just sent to your phone.")
    else:
        t.append("Caller: Could you restart your laptop so the update can finish?")
    if "bypass_procedure" in tells:
        t.append("Caller: No need to open a ticket, and keep this between us.")
    if "unverifiable_identity" in tells:
        t.append("Caller: I can't give you a callback number, I'm between meetings.")
    else:
        t.append("Caller: You can call me back on the service desk number if you prefer.")
    return {
        "channel": channel,
        "caller": caller,
        "recipient_role": p.role,
        "transcript": t,
        "time_of_contact": rng.choice(["08:55", "12:40", "17:50"]),
    }


SOCIAL_ENGINEERING = Template(
    type="social_engineering",
    title="Unexpected Call Assessment",
    description="Decide whether this conversation is a social-engineering attempt",
    criteria=("identity_verification", "pressure_tactics", "information_requests",
              "procedure_compliance"),
    indicators=(
        Indicator("impersonated_authority", "identity_verification",
                  "Claiming seniority discourages questions.",
                  "Could have noted the claimed authority",
                  ("authority", "impersonation", "authority_claim")),
        Indicator("urgency_pressure", "pressure_tactics",
                  "Artificial deadlines leave no time to verify.",
                  "Could have noted the time pressure",
                  ("urgency", "urgency_language", "time_pressure", "pressure")),
        Indicator("request_for_credentials", "information_requests",
                  "One-time codes and passwords are never shared with anyone.",
                  "Could have noted the request for a code or password",
                  ("credential_request", "mfa_code_request", "password_request")),
        Indicator("bypass_procedure", "procedure_compliance",
                  "Skipping tickets or secrecy removes the checks that stop fraud.",
                  "Could have noted the request to skip procedure",
                  ("secrecy", "skip_procedure", "procedure_bypass")),
        Indicator("unverifiable_identity", "identity_verification",
                  "A caller who cannot be called back cannot be verified.",
                  "Could have noted that the caller could not be verified",
                  ("no_callback", "unverified_caller", "refuses_verification")),
        Indicator("unusual_channel", "procedure_compliance",
                  "Work requests arrive through work channels.",
                  "Could have noted the unusual channel",
                  ("personal_channel", "unofficial_channel")),
    ),
    threat_aliases=("social_engineering", "pretexting", "vishing", "impersonation"),
    best_action="refuse_and_report",
    acceptable_actions=("verify_identity", "hang_up_and_report", "report", "refuse"),
    build=_social,
)  # fmt: skip


# --- malware --------------------------------------------------------------------------------


def _malware(rng: random.Random, tells: frozenset[str], difficulty: str, p: Persona) -> Content:
    base = rng.choice(["invoice_march", "shipping_label", "salary_review"])
    name = (
        f"{base}.pdf.exe" if "double_extension" in tells
        else f"{base}.docm" if "macro_enable_prompt" in tells
        else f"{base}.pdf"
    )  # fmt: skip
    source = (
        _pick(rng, difficulty, ["http://free-files-download.biz"], ["https://cdn-sharefile.net"])
        if "untrusted_source" in tells
        else f"https://files.{p.domain}"
    )  # fmt: skip
    prompts: list[str] = []
    if "macro_enable_prompt" in tells:
        prompts.append("Enable editing and enable content to view this document.")
    if "disable_security_request" in tells:
        prompts.append("Turn off your antivirus temporarily so the viewer can install.")
    behaviour: list[str] = []
    if "network_beacon" in tells:
        behaviour.append(f"connects to 203.0.113.{rng.randint(2, 250)}:4444 every 30 s")
    if "unsigned_executable" in tells:
        behaviour.append("publisher: unknown (no valid signature)")
    else:
        behaviour.append(f"publisher: {p.company} (valid signature)")
    return {
        "file_name": name,
        "file_source": source,
        "file_size_bytes": rng.randint(40_000, 900_000),
        "delivered_via": "unexpected_email" if "unexpected_attachment" in tells else "requested",
        "prompts": prompts,
        "observed_behaviour": behaviour,
        "recipient_role": p.role,
    }


MALWARE = Template(
    type="malware",
    title="Suspicious File Assessment",
    description="Decide whether this file is safe to open",
    criteria=("file_origin", "file_type", "execution_behavior", "system_changes"),
    indicators=(
        Indicator("double_extension", "file_type",
                  "`.pdf.exe` hides a program behind a document name.",
                  "Could have noted the double extension", ("hidden_extension", "fake_extension")),
        Indicator("macro_enable_prompt", "execution_behavior",
                  "Enabling macros lets the document run code.",
                  "Could have noted the macro prompt", ("macro", "enable_macros", "macros")),
        Indicator("untrusted_source", "file_origin",
                  "The file comes from outside the organisation's file service.",
                  "Could have noted the untrusted download source",
                  ("unknown_source", "suspicious_source", "untrusted_download")),
        Indicator("unsigned_executable", "file_type",
                  "Software without a valid signature cannot be traced to its publisher.",
                  "Could have noted the missing signature", ("unsigned", "no_signature")),
        Indicator("unexpected_attachment", "file_origin",
                  "A file nobody asked for is a classic delivery method.",
                  "Could have noted that the file was unexpected",
                  ("unexpected_file", "unsolicited_attachment")),
        Indicator("disable_security_request", "system_changes",
                  "Nothing legitimate needs the antivirus switched off.",
                  "Could have noted the request to disable security",
                  ("disable_antivirus", "antivirus_disable_request")),
        Indicator("network_beacon", "execution_behavior",
                  "Regular connections to an unknown address suggest a command server.",
                  "Could have noted the outbound connections",
                  ("beaconing", "c2_traffic", "suspicious_connection")),
    ),
    threat_aliases=("malware", "trojan", "ransomware", "virus"),
    best_action="quarantine_and_report",
    acceptable_actions=("do_not_open", "delete_and_report", "report", "quarantine"),
    build=_malware,
)  # fmt: skip


# --- network intrusion ----------------------------------------------------------------------


def _intrusion(rng: random.Random, tells: frozenset[str], difficulty: str, p: Persona) -> Content:
    user = rng.choice(["jdoe", "asmith", "mlee"])
    host = rng.choice(["app-01", "db-02", "files-03"])
    hour = 3 if "off_hours_access" in tells else 10
    ip = "185.220.101.7" if "login_from_unusual_location" in tells else "10.0.4.21"
    log: list[str] = []
    if "repeated_failed_logins" in tells:
        log += [
            f"{hour:02d}:0{i}:1{i} sshd: Failed password for {user} from {ip}" for i in range(5)
        ]
    if "port_scan" in tells:
        log.append(f"{hour:02d}:06:00 firewall: 1,024 ports probed on {host} from {ip} in 40 s")
    log.append(f"{hour:02d}:07:02 sshd: Accepted password for {user} from {ip}")
    if "privilege_escalation" in tells:
        log.append(f"{hour:02d}:09:40 sudo: {user} : COMMAND=/bin/bash (user not in sudoers)")
    if "new_admin_account" in tells:
        log.append(f"{hour:02d}:11:05 useradd: new user 'svc-backup2' added to group 'admin'")
    if "data_exfiltration" in tells:
        log.append(f"{hour:02d}:15:30 netflow: {host} → {ip} 4.2 GB outbound over 443")
    else:
        log.append(f"{hour:02d}:15:30 netflow: {host} → 10.0.0.5 12 MB to the backup server")
    return {"system": f"{host}.{p.domain}", "account": user, "log_lines": log,
            "analyst_role": p.role}  # fmt: skip


NETWORK_INTRUSION = Template(
    type="network_intrusion",
    title="Server Log Review",
    description="Review these log lines and decide whether the server was compromised",
    criteria=("authentication_anomalies", "access_patterns", "privilege_changes",
              "data_movement"),
    indicators=(
        Indicator("repeated_failed_logins", "authentication_anomalies",
                  "Many failures before a success suggest password guessing.",
                  "Could have noted the failed logins", ("brute_force", "failed_logins")),
        Indicator("login_from_unusual_location", "access_patterns",
                  "The successful login came from an outside address.",
                  "Could have noted the external source address",
                  ("unusual_location", "external_ip", "suspicious_ip")),
        Indicator("off_hours_access", "access_patterns",
                  "Activity at 3 a.m. does not match the account's normal hours.",
                  "Could have noted the time of access", ("unusual_time", "after_hours")),
        Indicator("privilege_escalation", "privilege_changes",
                  "A user outside sudoers obtained a root shell.",
                  "Could have noted the privilege escalation", ("root_access", "sudo_abuse")),
        Indicator("new_admin_account", "privilege_changes",
                  "A fresh admin account is a common persistence step.",
                  "Could have noted the new admin account",
                  ("backdoor_account", "new_account", "account_creation")),
        Indicator("data_exfiltration", "data_movement",
                  "Gigabytes leaving to the attacker's address look like theft.",
                  "Could have noted the large outbound transfer",
                  ("exfiltration", "large_transfer", "data_theft")),
        Indicator("port_scan", "access_patterns",
                  "Probing many ports maps the services to attack.",
                  "Could have noted the port scan", ("scanning", "port_scanning")),
    ),
    threat_aliases=("network_intrusion", "intrusion", "unauthorized_access", "compromise"),
    best_action="isolate_and_escalate",
    acceptable_actions=("escalate", "disable_account", "report", "isolate_host"),
    build=_intrusion,
)  # fmt: skip


TEMPLATES: dict[str, Template] = {
    t.type: t for t in (PHISHING, SOCIAL_ENGINEERING, MALWARE, NETWORK_INTRUSION)
}

# difficulty → (indicators planted: min, max; chance the scenario is benign; time limit)
DIFFICULTY_RULES: dict[str, tuple[int, int, float, int]] = {
    "beginner": (5, 6, 0.0, 600),
    "intermediate": (3, 4, 0.15, 300),
    "advanced": (2, 3, 0.25, 180),
}
