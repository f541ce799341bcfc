"""The course's word count as a plain sequential Python loop with a Counter.

Usage: wordcount_counter.py CORPUS STOPWORDS [K]
Prints the top K as `word count` lines, then `seconds S` on the last line.
Lines end at LF, CR or CRLF (Python's universal newlines, like textFile).
"""
import string
import sys
import time
from collections import Counter


def main():
    corpus, stop_path = sys.argv[1], sys.argv[2]
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    stopwords = set(open(stop_path, "r").read().split("\n"))
    table = str.maketrans("", "", string.punctuation)
    start = time.perf_counter()
    counts = Counter()
    with open(corpus, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n").encode("ascii", "ignore").decode("ascii").translate(table)
            for word in line.split(" "):
                word = word.lower()
                if word != "" and word not in stopwords:
                    counts[word] += 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    seconds = time.perf_counter() - start
    for word, count in top:
        print(word, count)
    print("seconds", seconds)


if __name__ == "__main__":
    main()
