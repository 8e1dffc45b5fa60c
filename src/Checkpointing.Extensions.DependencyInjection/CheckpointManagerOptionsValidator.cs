using Microsoft.Extensions.Options;

namespace Checkpointing;

/// <summary>Checks <see cref="CheckpointManagerOptions"/> at startup; every message names the setting and says what to use.</summary>
internal sealed class CheckpointManagerOptionsValidator : IValidateOptions<CheckpointManagerOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckpointManagerOptions options)
    {
        var failures = new List<string>();
        var section = CheckpointingConfiguration.SectionName;
        if (options.CheckpointDirectory is { } directory
            && (string.IsNullOrWhiteSpace(directory) || directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            failures.Add($"{section}:CheckpointDirectory '{directory}' is not a usable directory path; give a path, or leave it unset for $CHECKPOINT_DIR or ./.checkpoints.");
        }

        if (options.LockTimeout < TimeSpan.Zero && options.LockTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{section}:LockTimeout is {options.LockTimeout}; use zero (fail at once when another process owns the card), a positive time span such as 00:00:30, or -00:00:00.001 to wait without end.");
        }

        if (options.TimeProvider is null)
        {
            failures.Add($"{section}:TimeProvider is null; leave it at TimeProvider.System or register a TimeProvider in the container.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
