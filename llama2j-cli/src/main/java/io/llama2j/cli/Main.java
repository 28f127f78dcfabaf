package io.llama2j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The llama2j command: one subcommand per job (generate, chat, tokenize, ...). */
@Command(name = "llama2j", mixinStandardHelpOptions = true, version = "llama2j 0.1.0",
        description = "Llama 2 in pure Java: run, train and measure Llama 2 models.",
        subcommands = {
                CommandLine.HelpCommand.class,
                GenerateCommand.class,
                ChatCommand.class,
                InspectCommand.class,
                TrainTokenizerCommand.class,
                ConvertCommand.class,
                MergeCommand.class,
                SftCommand.class,
                GattCommand.class,
                GattCheckCommand.class,
                DistillCommand.class,
                TokenizeCommand.class,
                DetokenizeCommand.class,
                ServeCommand.class,
                SynthCommand.class,
                BenchCommand.class,
                PrepareCommand.class,
                PretrainCommand.class,
                ExportCommand.class,
                PerplexityCommand.class,
                EvalCommand.class,
                PullCommand.class,
                SparkGenerateCommand.class,
                SparkPrepareCommand.class,
                SparkScoreCommand.class,
                SparkEvalCommand.class,
                RewardTrainCommand.class,
                RewardScoreCommand.class,
                DpoCommand.class,
                RejectionSampleCommand.class,
                PpoCommand.class,
        })
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests to run commands in-process). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        cl.setCaseInsensitiveEnumValuesAllowed(true); // --weights mapped, --activations float32, ...
        // A bad option is one line naming the command, not the whole usage text
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine failed = ex.getCommandLine();
            failed.getErr().println(failed.getCommandSpec().qualifiedName() + ": " + ex.getMessage() + " (see --help)");
            return 2;
        });
        return cl;
    }
}
