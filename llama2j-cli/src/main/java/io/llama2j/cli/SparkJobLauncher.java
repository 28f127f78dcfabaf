package io.llama2j.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a llama2j-spark job ({@code io.llama2j.spark.SparkMain}) in a child JVM. Spark and its
 * ~300 MB of dependencies stay out of llama2j.jar: the child's class path is the llama2j-spark
 * module's build (llama2j-spark.jar, lib/, and jvm.options with the flags Spark needs on JDK 25),
 * found in $LLAMA2J_SPARK_HOME or next to this jar (llama2j-spark/target in the source tree).
 */
final class SparkJobLauncher {
    /** Environment variable naming the folder that holds llama2j-spark.jar, lib/ and jvm.options. */
    static final String HOME_VARIABLE = "LLAMA2J_SPARK_HOME";
    static final String MAIN_CLASS = "io.llama2j.spark.SparkMain";
    static final String JAR = "llama2j-spark.jar";
    static final String JVM_OPTIONS = "jvm.options";
    static final String LIBRARIES = "lib";
    /** The engine recurses deeply in places; as the llama2j script. */
    static final String THREAD_STACK = "-Xss8m";

    private SparkJobLauncher() {}

    /** Runs {@code SparkMain job args...}, with this process's stdin/stdout/stderr; returns its exit code. */
    static int run(String job, List<String> args) throws IOException, InterruptedException {
        Path home = home();
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.add("@" + home.resolve(JVM_OPTIONS));
        command.add(THREAD_STACK);
        command.add("-cp");
        command.add(home.resolve(JAR) + java.io.File.pathSeparator + home.resolve(LIBRARIES) + java.io.File.separator + "*");
        command.add(MAIN_CLASS);
        command.add(job);
        command.addAll(args);
        Process process = new ProcessBuilder(command).inheritIO().start();
        return process.waitFor();
    }

    static Path home() throws IOException {
        String configured = System.getenv(HOME_VARIABLE);
        Path home;
        if (configured != null && !configured.isBlank()) {
            home = Path.of(configured);
        } else {
            home = sourceTreeHome();
        }
        for (String required : List.of(JAR, JVM_OPTIONS, LIBRARIES)) {
            if (!Files.exists(home.resolve(required))) {
                throw new IOException("llama2j-spark is not built: " + home.resolve(required) + " is missing. Build it with"
                        + " `mvn -B -q -DskipTests -pl llama2j-spark -am package`, or set " + HOME_VARIABLE
                        + " to a folder holding " + JAR + ", " + LIBRARIES + "/ and " + JVM_OPTIONS);
            }
        }
        return home;
    }

    /** llama2j-cli/target/llama2j.jar (or target/classes) -> llama2j-spark/target. */
    private static Path sourceTreeHome() throws IOException {
        try {
            Path location = Path.of(SparkJobLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = location.getParent(); // the jar, or target/classes, lies in llama2j-cli/target
            return target.getParent().getParent().resolve("llama2j-spark").resolve("target");
        } catch (URISyntaxException | NullPointerException e) {
            throw new IOException("cannot tell where llama2j is installed; set " + HOME_VARIABLE, e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
