using Microsoft.Extensions.Logging;
using System.Text.Json;

namespace Checkpointing;

/// <summary>Settings of a <see cref="CheckpointManager"/>.</summary>
public sealed class CheckpointManagerOptions
{
    /// <summary>The environment variable that names the checkpoint directory when <see cref="CheckpointDirectory"/> is not set.</summary>
    public const string DirectoryEnvironmentVariable = "CHECKPOINT_DIR";

    /// <summary>Gets or sets the directory of the default file store.</summary>
    /// <value>The default is <see langword="null"/>: the <c>CHECKPOINT_DIR</c> environment variable, else <c>.checkpoints</c> in the current directory.</value>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Gets or sets whether <see cref="CheckpointManager.GetCachedLlmResponse"/> returns cached responses.</summary>
    /// <value>The default is <see langword="true"/>. When <see langword="false"/>, every lookup misses (responses are still stored).</value>
    public bool EnableLlmCache { get; set; } = true;

    /// <summary>Gets or sets the clock for timestamps and durations.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets how long creating or resuming waits for another owner of the card to let go.</summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>: fail at once with <see cref="CheckpointLockedException"/>.</value>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets what <see cref="CheckpointManager.ResumeOrCreateAsync"/> does with a card whose stored run completed:
    /// keep it and return it (<see cref="CompletedRunPolicy.Keep"/>, the default) or start a new run
    /// (<see cref="CompletedRunPolicy.Restart"/>).
    /// </summary>
    public CompletedRunPolicy CompletedRuns { get; set; } = CompletedRunPolicy.Keep;

    /// <summary>Gets or sets the options used to serialize stage results and execution context values.</summary>
    /// <value>The default keeps property names as declared and reads them case-insensitively.</value>
    public JsonSerializerOptions? SerializerOptions { get; set; }

    /// <summary>Gets or sets where the manager and its default file store log (recovery actions, stage outcomes, resumes).</summary>
    /// <value>The default is <see langword="null"/>: no logging. A logger factory given to the constructor takes precedence.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets where <see cref="CheckpointManager.RunStageAsync{T}"/> reports progress, at every stage start and end.</summary>
    /// <value>The default is <see langword="null"/>: no reports.</value>
    public IProgress<PipelineProgress>? Progress { get; set; }

    /// <summary>Gets the directory the default file store uses, resolving the defaults.</summary>
    /// <returns>The directory path.</returns>
    public string ResolveCheckpointDirectory() =>
        CheckpointDirectory
        ?? (Environment.GetEnvironmentVariable(DirectoryEnvironmentVariable) is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment)
            ? fromEnvironment
            : Path.Combine(Environment.CurrentDirectory, ".checkpoints"));
}
