using System.Data.Common;
using Checkpointing.Tool.Output;

namespace Checkpointing.Tool.Cli;

/// <summary>Turns an exception into one line saying what happened and what to do, and the exit code it means.</summary>
internal sealed record ErrorReport(string Message, int ExitCode)
{
    public static ErrorReport? Describe(Exception exception) => exception switch
    {
        UsageException usage => new(usage.Message, ExitCodes.Usage),
        OperationCanceledException => new("cancelled; nothing was left half-changed", ExitCodes.Problem),
        CheckpointLockedException locked => new(OwnedCard.Refusal(locked), ExitCodes.Problem),
        CheckpointNotFoundException notFound => new(notFound.Message, ExitCodes.Problem),
        CheckpointConflictException conflict => new($"{conflict.Message}", ExitCodes.Problem),
        CheckpointVersionException version => new($"{version.Message} Upgrade the tool to read it.", ExitCodes.Problem),
        CheckpointCorruptedException corrupted => new($"{corrupted.Message} Run 'checkpointing verify' to see every damaged file.", ExitCodes.Problem),
        CheckpointException other => new(other.Message, ExitCodes.Problem),
        NotSupportedException notSupported => new(notSupported.Message, ExitCodes.Problem),
        ArgumentException argument => new($"{argument.Message} (run 'checkpointing <command> --help' for usage)", ExitCodes.Usage),
        DbException db => new($"the store cannot be used: {db.Message} Check the connection string or path given with --store.", ExitCodes.Problem),
        IOException or UnauthorizedAccessException => new($"{exception.Message} Check the path and its permissions.", ExitCodes.Problem),
        InvalidOperationException invalid => new(invalid.Message, ExitCodes.Problem),
        _ => null,
    };
}
