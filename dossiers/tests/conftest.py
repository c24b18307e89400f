from tests.support import fast_password_hashing  # noqa: F401  (autouse: this directory hashes fast)
