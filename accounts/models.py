from django.conf import settings
from django.db import models
from knox.models import AbstractAuthToken

DEFAULT_DEPARTMENTS = [
    ("operations", "Operations"),
    ("legal", "Legal"),
    ("cx", "Customer experience"),
    ("finance", "Finance"),
]


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retention_days = models.PositiveIntegerField(
        default=400,
        help_text="Transcript text older than this many days is erased; scores and daily "
        "figures stay.",
    )
    local_passwords = models.BooleanField(
        default=True,
        help_text="Members may sign in with a Stopline password. Off: only single sign-on.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A department that proposes positions and, when required, signs the criteria."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments"
    )
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    requires_signature = models.BooleanField(
        default=True, help_text="The criteria are agreed only when this department has signed."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="department_unique_key")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        FACILITATOR = "facilitator", "Facilitator"
        MEMBER = "member", "Member"
        SENIOR_REVIEWER = "senior_reviewer", "Senior reviewer"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    is_signatory = models.BooleanField(
        default=False, help_text="Signs the criteria on behalf of the department."
    )
    printed_name = models.CharField(max_length=200, blank=True)
    weekly_digest = models.BooleanField(
        default=True, help_text="Receives the weekly e-mail with all three indicators."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def display_name(self) -> str:
        return self.printed_name or self.user.get_full_name() or self.user.get_username()

    @property
    def is_facilitator(self) -> bool:
        return self.role == self.Role.FACILITATOR

    @property
    def can_propose(self) -> bool:
        """Members and facilitators speak for their department; viewers only read."""
        return self.role in (self.Role.FACILITATOR, self.Role.MEMBER) and self.department_id

    @property
    def can_comment(self) -> bool:
        return self.role in (self.Role.FACILITATOR, self.Role.MEMBER, self.Role.SENIOR_REVIEWER)

    def can_sign_for(self, department: Department) -> bool:
        return (
            self.is_signatory
            and self.department_id == department.pk
            and self.role in (self.Role.FACILITATOR, self.Role.MEMBER)
        )


class ApiToken(AbstractAuthToken):
    """A named API token. Only its SHA-512 digest is stored; the token is shown once."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
