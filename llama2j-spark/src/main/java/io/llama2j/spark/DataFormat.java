package io.llama2j.spark;

import io.llama2j.spark.generate.BatchColumns;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The table formats the Spark jobs read and write: JSONL (one JSON object per line) or Parquet.
 * Chosen from the path when not given: a .parquet file, or a folder of .parquet part files, is
 * Parquet; .jsonl/.json (or a folder of them) is JSONL.
 */
public enum DataFormat {
    JSONL("json"), PARQUET("parquet");

    private final String sparkFormat;

    DataFormat(String sparkFormat) { this.sparkFormat = sparkFormat; }

    /** The format of {@code path}, from its extension or, for a folder, from its files' extensions. */
    public static DataFormat of(Path path) throws IOException {
        DataFormat byName = byExtension(path.getFileName() == null ? "" : path.getFileName().toString());
        if (byName != null) return byName;
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.list(path)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    DataFormat inside = byExtension(f.getFileName().toString());
                    if (inside != null) return inside;
                }
            }
        }
        throw new IOException(path + ": cannot tell the format (expected a .jsonl, .json or .parquet file or a folder of them);"
                + " give --input-format/--output-format");
    }

    private static DataFormat byExtension(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".parquet")) return PARQUET;
        if (n.endsWith(".jsonl") || n.endsWith(".json")) return JSONL;
        return null;
    }

    /** Reads {@code path}; a JSONL line that is not JSON becomes a row with only {@link BatchColumns#CORRUPT_RECORD} set. */
    public Dataset<Row> read(SparkSession spark, Path path) {
        DataFrameReader reader = spark.read().format(sparkFormat);
        if (this == JSONL) reader = reader.option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", BatchColumns.CORRUPT_RECORD);
        return reader.load(path.toString());
    }

    /** Writes through Spark's file committer: a retried task's output is committed once, a failed job leaves no table. */
    public void write(Dataset<Row> rows, Path path, boolean overwrite) {
        rows.write().format(sparkFormat).mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).save(path.toString());
    }
}
