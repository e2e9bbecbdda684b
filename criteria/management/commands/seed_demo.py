"""Demo data: an organization, its people, and an operation mid-negotiation. Idempotent."""

from datetime import timedelta
from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.services import organization_ensure
from criteria import services
from criteria.models import Operation

PASSWORD = "stopline-demo"  # noqa: S105 - the documented demo login
PEOPLE = [
    # username, first, last, department, role, signatory
    ("facilitator", "Fatima", "Lindqvist", "operations", "facilitator", False),
    ("ops", "Oskar", "Berg", "operations", "member", True),
    ("legal", "Lena", "Varga", "legal", "member", True),
    ("cx", "Chloé", "Martin", "cx", "member", True),
    ("finance", "Felix", "Novak", "finance", "member", True),
    ("reviewer", "Rosa", "Almeida", "cx", "senior_reviewer", False),
    ("viewer", "Victor", "Hale", None, "viewer", False),
]
POSITIONS = [
    # department, key, min, max, why
    (
        "operations",
        "escalation_rate",
        "0.06",
        "0.22",
        "Staffing covers up to 22 % handoffs; below 6 % we are hiding problems.",
    ),
    (
        "legal",
        "escalation_rate",
        "0.10",
        None,
        "Regulated disputes must reach a person; below 10 % we cannot show they do.",
    ),
    ("cx", "escalation_rate", "0.08", "0.25", "Customers who ask for a person must get one."),
    ("finance", "escalation_rate", None, "0.18", "The business case assumes at most 18 %."),
    ("operations", "fcr_complex", "0.50", None, "Complex cases were 52 % with humans."),
    ("cx", "fcr_complex", "0.60", None, "Below 60 % complex customers come back angry."),
    ("finance", "fcr_complex", "0.45", None, "Repeat contacts cost more than handoffs."),
    ("legal", "review_score", "0.90", None, "Every tenth bad transcript is a complaint risk."),
    ("cx", "review_score", "0.80", None, "Matches our human QA bar."),
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo organization, users and operation. Safe to re-run."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-metrics", action="store_true", help="Only people and criteria, no metrics."
        )

    def _seed_transcripts(self) -> None:
        from django.core.management import get_commands

        if "seed_demo_transcripts" in get_commands():
            call_command("seed_demo_transcripts", stdout=self.stdout)

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        org = organization_ensure(slug="northwind", name="Northwind Retail")
        users = {}
        for username, first, last, dept, role, signatory in PEOPLE:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@northwind.example",
                },
            )
            user.set_password(PASSWORD)
            user.save()
            Membership.objects.update_or_create(
                user=user,
                organization=org,
                defaults={
                    "department": org.departments.get(key=dept) if dept else None,
                    "role": role,
                    "is_signatory": signatory,
                    "printed_name": f"{first} {last}",
                },
            )
            users[username] = user
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(PASSWORD)
            admin.save()

        if not Operation.objects.filter(slug="eu-retail-chat").exists():
            self._seed_operation(org, users)
        if not options.get("no_metrics"):
            # Transcripts for the reviewer queue (a week of STAR dialogues, stored as that
            # week's conversations), then four months of daily figures (a pilot, then live with
            # an escalation collapse) and the drift evaluation they trigger. The daily figures
            # come last so that they stay the days' totals: ingesting the ~43 dialogues a day
            # rebuilt that week's aggregates from them, a dip of the volume chart to 43 a day.
            self._seed_transcripts()
            call_command("seed_demo_metrics", stdout=self.stdout)
            call_command("evaluate", "eu-retail-chat", stdout=StringIO())

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Log in with any of these (password: {PASSWORD}):")
        for username, first, last, dept, role, signatory in PEOPLE:
            extra = f", signs for {dept}" if signatory else ""
            self.stdout.write(
                f"  {username:12} {first} {last}: {role}{' (' + dept + ')' if dept else ''}{extra}"
            )
        self.stdout.write(f"  {'admin':12} Django admin at /admin/")

    def _seed_operation(self, org, users) -> None:
        def member(name: str) -> Membership:
            return Membership.objects.get(user=users[name], organization=org)

        operation = services.operation_create(
            organization=org,
            slug="eu-retail-chat",
            title="AI tier-1 chat, EU retail",
            timezone_name="Europe/Stockholm",
            # Live for about three months after a three-week pilot (see seed_demo_metrics).
            go_live=timezone.localdate() - timedelta(days=98),
            channels=["chat", "messaging"],
            actor=users["facilitator"],
            description="The AI assistant answers order, delivery and refund questions in "
            "the web chat; billing disputes go to the human team.",
        )
        fac = member("facilitator")
        version = services.version_propose(operation=operation, membership=fac)
        for name in ("ops", "legal", "cx", "finance"):
            services.version_sign(
                operation=operation,
                membership=member(name),
                number=version.number,
                content_hash=version.content_hash,
                fresh_login=True,
            )
        # Version 2 is under negotiation: legal wants a higher floor on escalations.
        services.target_set(
            operation=operation,
            membership=fac,
            key="escalation_rate",
            values={"range_min": "0.10", "range_max": "0.22"},
        )
        dept_user = {"operations": "ops", "legal": "legal", "cx": "cx", "finance": "finance"}
        for dept, key, lo, hi, why in POSITIONS:
            services.position_propose(
                operation=operation,
                membership=member(dept_user[dept]),
                key=key,
                range_min=lo,
                range_max=hi,
                rationale=why,
            )
        services.comment_add(
            operation=operation,
            membership=member("finance"),
            key="escalation_rate",
            text="Legal's floor and our ceiling leave only 10-18 %: can we "
            "count only complex cases for the floor?",
        )
        services.comment_add(
            operation=operation,
            membership=member("legal"),
            key="review_score",
            text="We need to read the missed-handoff transcripts weekly.",
        )
