"""Auth endpoints of API.md: register, login, refresh (rotating), logout (blacklist), me."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from salonbot.api.schema import ErrorSerializer

from . import serializers, services
from .models import Role

BAD_CREDENTIALS = OpenApiResponse(ErrorSerializer, description="Wrong credentials.")
BAD_TOKEN = OpenApiResponse(ErrorSerializer, description="The refresh token is invalid, expired or blacklisted.")


class PublicAuthView(APIView):
    """No token is read here, but a 401 still names the scheme (DRF turns a 401 without one into 403)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class RegisterView(PublicAuthView):
    throttle_scope = "auth"

    @extend_schema(request=serializers.RegisterSerializer, responses={201: serializers.AuthResponseSerializer})
    def post(self, request):
        data = serializers.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.create_user(role=Role.SALON_OWNER, **data.validated_data)
        body = {"user": serializers.UserSerializer(user).data, **services.issue_tokens(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    throttle_scope = "auth"

    @extend_schema(
        request=serializers.LoginSerializer, responses={200: serializers.AuthResponseSerializer, 401: BAD_CREDENTIALS}
    )
    def post(self, request):
        data = serializers.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, email=data.validated_data["email"], password=data.validated_data["password"])
        if user is None:
            raise exceptions.AuthenticationFailed("No active account with these credentials.")
        body = {**services.issue_tokens(user), "user": serializers.UserSerializer(user).data}
        return Response(body)


class RefreshView(TokenRefreshView):
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'

    throttle_scope = "auth"

    @extend_schema(
        request=serializers.RefreshSerializer, responses={200: serializers.TokenPairSerializer, 401: BAD_TOKEN}
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(PublicAuthView):
    @extend_schema(request=serializers.RefreshSerializer, responses={204: None, 401: BAD_TOKEN})
    def post(self, request):
        data = serializers.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            RefreshToken(data.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc), code="token_not_valid") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.UserSerializer})
    def get(self, request):
        return Response(serializers.UserSerializer(request.user).data)
