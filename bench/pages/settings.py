"""The production settings plus one URL: the constant-response floor of `make bench-pages`.

Nothing else differs from `config.settings`: the same middleware, database, cache and sessions,
so a page's share of the floor is what the page itself costs above the stack every request pays.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pages.urls"
