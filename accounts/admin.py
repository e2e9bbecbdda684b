from django.contrib import admin

from accounts.models import Department, Membership, Organization


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DepartmentInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "department", "role", "is_signatory"]
    list_filter = ["organization", "role", "is_signatory"]
    search_fields = ["user__username", "user__email", "printed_name"]
    list_select_related = ["user", "organization", "department"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "organization", "requires_signature"]
    list_filter = ["organization"]
