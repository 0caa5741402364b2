"""analytics registers no ModelAdmin; its figures appear on the admin index (templatetags)."""
