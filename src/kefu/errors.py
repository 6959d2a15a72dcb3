"""Errors a service raises for people to read: a stable code and a Chinese message."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule said no. `code` is stable for programs; `message` is for the person."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class RateLimited(ServiceError):
    status = 429


class TooLarge(ServiceError):
    status = 413
