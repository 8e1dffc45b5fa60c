using System.CommandLine;

namespace Checkpointing.Tool.Cli;

/// <summary>The options several commands share (a new instance per command).</summary>
internal static class ToolOptions
{
    public const string StoreHelp =
        "The store: file:<dir>, sqlite:<path> or postgres:<connection string> (add Schema=<name> for another schema). "
        + "Default: $CHECKPOINTING_STORE, else file:$CHECKPOINT_DIR, else file:./.checkpoints.";

    public static Option<string?> Store() => new("--store", "-s") { Description = StoreHelp };

    public static Option<bool> Json() => new("--json") { Description = "Write machine-readable JSON (shape documented in the README) instead of tables." };

    public static Argument<string> Card() => new("card") { Description = "The card id." };

    public static Option<bool> DryRun() => new("--dry-run") { Description = "Show what would change; change nothing." };
}
