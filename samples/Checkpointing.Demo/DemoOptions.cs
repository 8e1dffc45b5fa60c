using System.Globalization;

namespace Checkpointing.Demo;

/// <summary>The command line of the demo, for the story (parent) and for a worker (child) alike.</summary>
internal sealed class DemoOptions
{
    public const string Usage = """
        usage: dotnet run --project samples/Checkpointing.Demo [-- options]

          (no options)             run the whole story: a worker crashes mid-stage, a second one resumes
          --dir DIR                checkpoint directory (default: a fresh temporary directory)
          --card ID                card id (default: CARD-42)
          --crash-in STAGE         stage in which the first worker dies (default: development; 'none': no crash)
          --crash-after-calls N    paid LLM calls of that stage before it dies (default: 2)
          --worker                 run the pipeline once in this process (what the story's children do);
                                   without --dir it uses CHECKPOINT_DIR, else ./.checkpoints
        """;

    public bool IsWorker { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Gets whether to print machine-readable progress lines for the parent (set by the story).</summary>
    public bool Events { get; private set; }

    public string? Directory { get; private set; }

    public string CardId { get; private set; } = "CARD-42";

    public string? CrashInStage { get; private set; }

    public int CrashAfterCalls { get; private set; } = 2;

    /// <summary>Parses the arguments; <see langword="null"/> when they are wrong.</summary>
    public static DemoOptions? Parse(string[] args)
    {
        var options = new DemoOptions { IsWorker = args.Contains("--worker") };
        options.CrashInStage = options.IsWorker ? null : "development";
        for (var i = 0; i < args.Length; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--worker": break;
                case "--events": options.Events = true; break;
                case "-h" or "--help": options.ShowHelp = true; break;
                case "--dir": options.Directory = Value() ?? ""; break;
                case "--card": options.CardId = Value() ?? ""; break;
                case "--crash-in":
                    var stage = Value() ?? "";
                    options.CrashInStage = stage == "none" ? null : stage;
                    break;
                case "--crash-after-calls":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var calls) || calls < 1) return null;
                    options.CrashAfterCalls = calls;
                    break;
                default: return null;
            }
        }

        var knownStage = options.CrashInStage is null || DemoPipeline.Stages.Any(stage => stage.Name == options.CrashInStage);
        var valid = knownStage && !string.IsNullOrWhiteSpace(options.CardId) && options.Directory is null or { Length: > 0 };
        return valid ? options : null;
    }
}
