package io.llama2j.spark;

import org.apache.spark.sql.SparkSession;

/** The local SparkSession of a test class: two cores, two attempts per task, no UI. */
public final class LocalSpark {
    /** local[N,F]: N worker threads, F attempts per task (plain local[N] never retries). */
    public static final String MASTER = "local[2,2]";

    private LocalSpark() {}

    public static SparkSession start(String testClass) {
        return SparkSession.builder()
                .master(MASTER)
                .appName(testClass)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }
}
