"""Customer images: size-limited, and checked by content, not by the name they came with."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kefu.errors import ServiceError, TooLarge

ALLOWED = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs


def save_image(upload: UploadedFile, *, name: str) -> str:
    """Check an uploaded image and store it; returns its path under MEDIA_ROOT."""
    limit = settings.KEFU_MAX_IMAGE_BYTES
    if upload.size is None or upload.size > limit:
        raise TooLarge(
            "image_too_large", _("图片太大了，请发送%(mb)dMB以内的图片。") % {"mb": limit // 2**20}
        )
    try:
        with Image.open(upload) as img:
            kind = img.format
            if img.width * img.height > MAX_PIXELS:
                raise ServiceError("image_too_large", _("图片尺寸太大了，请压缩后再发。"))
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ServiceError(
            "not_image", _("只能发送图片（JPG、PNG、GIF、WebP）哦。")
        ) from None
    if kind not in ALLOWED:
        raise ServiceError("not_image", _("只能发送图片（JPG、PNG、GIF、WebP）哦。"))
    upload.seek(0)
    return default_storage.save(f"{name}.{ALLOWED[kind]}", upload)
