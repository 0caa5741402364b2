"""The admin site of salonbot: its titles, and no "View site" link (there is no public site)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class SalonbotAdminSite(admin.AdminSite):
    site_header = "salonbot"
    site_title = "salonbot"
    index_title = _("Today")
    site_url = None  # the product has no public pages; "View site" would be a 404


class SalonbotAdminConfig(AdminConfig):
    default_site = "salonbot.admin_site.SalonbotAdminSite"
