from typing import Any

from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from core.s3 import public_client


class MediaStorage(S3Storage):
    """S3 storage for everything members upload.

    URLs are presigned for `S3_PUBLIC_ENDPOINT_URL`, the address browsers reach, while reads and
    writes go to `S3_ENDPOINT_URL` (the two differ behind docker-compose).
    """

    def url(
        self,
        name: str,
        parameters: dict[str, Any] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        key = self._normalize_name(clean_name(name))
        params = {"Bucket": self.bucket_name, "Key": key, **(parameters or {})}
        url: str = public_client().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=expire if expire is not None else self.querystring_expire,
            HttpMethod=http_method,
        )
        return url
