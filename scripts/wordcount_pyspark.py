"""The course's Moby Dick word count in PySpark (local[2]), timed after the
context is up: textFile -> ascii -> no punctuation -> split(' ') -> lower ->
drop '' and stop words -> (word, 1) -> reduceByKey -> takeOrdered.

Usage: wordcount_pyspark.py CORPUS STOPWORDS [K]
Prints the top K as `word count` lines, then `seconds S` on the last line.

One change from the course (Python 2): str.translate with a deletion table
replaces translate(None, string.punctuation), and the stop words are a set
(the course's list makes every lookup scan 318 strings, which would only
make PySpark slower).
"""
import string
import sys
import time

from pyspark import SparkConf, SparkContext


def main():
    corpus, stop_path = sys.argv[1], sys.argv[2]
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    conf = (SparkConf().setMaster("local[2]").setAppName("wordcount")
            .set("spark.ui.enabled", "false").set("spark.driver.memory", "2g")
            .set("spark.ui.showConsoleProgress", "false"))
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    stopwords = set(open(stop_path, "r").read().split("\n"))
    table = str.maketrans("", "", string.punctuation)

    start = time.perf_counter()
    md = sc.textFile(corpus)
    str_md = md.map(lambda x: x.encode("ascii", "ignore").decode("ascii"))
    no_pu = str_md.map(lambda x: x.translate(table))
    split = no_pu.flatMap(lambda x: x.split(" "))
    lower = split.map(lambda x: x.lower()).filter(lambda x: x != "")
    ready = lower.filter(lambda x: x not in stopwords)
    result = ready.map(lambda word: (word, 1)).reduceByKey(lambda x, y: x + y)
    top = result.takeOrdered(k, lambda kv: (-kv[1], kv[0]))
    seconds = time.perf_counter() - start

    for word, count in top:
        print(word, count)
    print("seconds", seconds)
    sc.stop()


if __name__ == "__main__":
    main()
