from django.urls import re_path

from salonbot.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("conversations", views.ConversationViewSet, basename="conversation")
router.register("templates", views.TemplateViewSet, basename="template")

urlpatterns = [
    re_path(r"^whatsapp/webhook/?$", views.WhatsAppWebhookView.as_view(), name="whatsapp-webhook"),
    *router.urls,
]
