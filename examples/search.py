#!/usr/bin/env python3
"""Semantic search with the clembed Python package, as with sentence-transformers.

    pip install ./python
    python3 examples/search.py models/all-MiniLM-L6-v2 examples/texts.txt "a kitten on a rug"

Options: -d DEVICE (pocl, gpu, an index...), -k N (results per query).  Without
queries on the command line, reads them from standard input, one per line.
"""
import argparse
import sys

import clembed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("texts")
    ap.add_argument("queries", nargs="*")
    ap.add_argument("-d", "--device")
    ap.add_argument("-k", type=int, default=3)
    args = ap.parse_intermixed_args()
    texts = open(args.texts, encoding="utf-8").read().splitlines()
    queries = args.queries or sys.stdin.read().splitlines()
    try:
        model = clembed.Model(args.model, device=args.device)
        corpus = model.encode(texts, normalize_embeddings=True)
        q = model.encode(queries, normalize_embeddings=True)
    except clembed.Error as e:
        sys.exit("search.py: %s" % e)
    print("%d texts, %d dimensions" % corpus.shape)
    scores = model.similarity(q, corpus)  # the model's similarity function (cosine here)
    for query, row in zip(queries, scores):
        print("query: %s" % query)
        for i in row.argsort()[::-1][: args.k]:
            print("  %.4f  %s" % (row[i], texts[i]))


if __name__ == "__main__":
    main()
