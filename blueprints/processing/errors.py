class Rejected(Exception):
    """The file is refused: `code` is a `RejectionCode` value, `detail` says more (shown to the uploader)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
