"""A stand-in model server: an OpenAI-compatible chat-completions endpoint on 127.0.0.1 whose
answers are SYNTHETIC (tests/fakes.py), for trying the pipeline and the CLI without a model.

    .venv/bin/python scripts/standin_model.py --quote-article --string "Atlantis Clinic" --string 平壤中心醫院
    extractor run examples/seeds --out /tmp/out --base-url http://127.0.0.1:PORT/v1 --model standin --api-key x

``--quote-article``: every answer fills the schema the request asks for (tools or
``response_format``) with real lines of the article as quotes and the ``--string`` values
(in turn) in every other text field — names, places, titles, members, the article's title
and outlet — so that one can see which invented strings a run presents as grounded. In
label mode it answers mention ids marked in the text (⟦Q3⟧), with sentence citations the
[S3] ids. Without ``--quote-article``: one quantity quoting the article's first sentence with
a number (``synthetic_answer``). Prints the base URL, serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes import INVENTED, FakeEndpoint, quote_article_answer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quote-article", action="store_true",
                        help="fill the requested schema with real quotes and invented strings")
    parser.add_argument("--string", action="append", default=[], metavar="NAME",
                        help="an invented string to put in text fields (repeatable; default: a built-in set)")
    parser.add_argument("--model", default="standin", help="the model name the answers report")
    args = parser.parse_args()
    strings = tuple(args.string) or INVENTED
    if args.quote_article:
        endpoint = FakeEndpoint(answer=lambda body: quote_article_answer(body, strings), model=args.model)
    else:
        endpoint = FakeEndpoint(model=args.model)
    with endpoint.serve() as base_url:
        print(base_url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    print(f"{endpoint.calls} requests answered", file=sys.stderr)


if __name__ == "__main__":
    main()
