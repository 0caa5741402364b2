"""The admin site of salonbot: its titles, and no "View site" link (there is no public site)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class SalonbotAdminSite(admin.AdminSite):
    site_header = "salonbot"
    site_title = "salonbot"
    index_title = _("Today")
    site_url = None  # the product has no public pages; "View site" would be a 404
    # The header's salon links replace Django's app sidebar, which took a quarter of a 1280 px
    # screen from the bookings table (salonbot/templates/admin/salon_nav.html).
    enable_nav_sidebar = False


class SalonbotAdminConfig(AdminConfig):
    default_site = "salonbot.admin_site.SalonbotAdminSite"
