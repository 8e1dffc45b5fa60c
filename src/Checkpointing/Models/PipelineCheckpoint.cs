using System.Collections.Immutable;
using System.Text.Json;
using Checkpointing.Models;

namespace Checkpointing;

/// <summary>
/// The durable state of one pipeline run for one card: which stages finished, their results, the LLM
/// responses already paid for, and enough bookkeeping to resume after a crash.
/// </summary>
/// <remarks>Immutable: every change produces a new instance with a <see cref="Version"/> one higher.</remarks>
public sealed partial record PipelineCheckpoint
{
    private readonly IReadOnlyDictionary<string, StageCheckpoint> _stageCheckpoints = StageCheckpointMap.Empty;
    private readonly IReadOnlyList<string> _completedStages = ImmutableList<string>.Empty;

    private readonly IReadOnlyList<string> _failedStages = ImmutableList<string>.Empty;
    private readonly IReadOnlyList<string> _skippedStages = ImmutableList<string>.Empty;

    /// <summary>Facts computed from the stage lists and records, kept so a save is not O(stages); not part of equality.</summary>
    private DerivedFacts _derived = new();

    /// <summary>Gets the identifier of this run, <c>checkpoint-&lt;card&gt;-&lt;unix seconds&gt;</c> for new runs.</summary>
    public required string CheckpointId { get; init; }

    /// <summary>Gets the card (work item) the pipeline runs for.</summary>
    public required string CardId { get; init; }

    /// <summary>Gets the lifecycle state.</summary>
    public CheckpointStatus Status { get; init; } = CheckpointStatus.Active;

    /// <summary>Gets when the run was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the run last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Gets the stages whose latest status is completed, in the order they were recorded.</summary>
    public IReadOnlyList<string> CompletedStages
    {
        get => _completedStages;
        init
        {
            _completedStages = value;
            _derived = new DerivedFacts();
        }
    }

    /// <summary>Gets the stages whose latest status is failed.</summary>
    public IReadOnlyList<string> FailedStages
    {
        get => _failedStages;
        init
        {
            _failedStages = value;
            _derived = new DerivedFacts();
        }
    }

    /// <summary>Gets the stages whose latest status is skipped.</summary>
    public IReadOnlyList<string> SkippedStages
    {
        get => _skippedStages;
        init
        {
            _skippedStages = value;
            _derived = new DerivedFacts();
        }
    }

    /// <summary>Gets the stage the pipeline last said it was working on.</summary>
    public string? CurrentStage { get; init; }

    /// <summary>Gets the record of every stage attempted, by stage name, in the order first recorded.</summary>
    public IReadOnlyDictionary<string, StageCheckpoint> StageCheckpoints
    {
        get => _stageCheckpoints;
        init
        {
            _stageCheckpoints = StageCheckpointMap.From(value);
            _derived = new DerivedFacts();
        }
    }

    /// <summary>Gets the caller's description of the run (repository, branch, flags, ...).</summary>
    public IReadOnlyDictionary<string, JsonElement> ExecutionContext { get; init; } = ImmutableDictionary<string, JsonElement>.Empty;

    /// <summary>Gets the number of stages the pipeline declared.</summary>
    public int TotalStages { get; init; }

    /// <summary>Gets the number of stages whose latest status is completed.</summary>
    public int StagesCompleted => CompletedStages.Count;

    /// <summary>Gets the time spent in every recorded stage attempt.</summary>
    public TimeSpan TotalDuration { get; init; }

    /// <summary>Gets the estimated time to finish: mean completed-stage duration times stages still to do.</summary>
    public TimeSpan EstimatedRemaining { get; init; }

    /// <summary>Gets how many times the run was resumed.</summary>
    public int ResumeCount { get; init; }

    /// <summary>Gets when the run was last resumed.</summary>
    public DateTimeOffset? LastResumeTime { get; init; }

    /// <summary>Gets free-form metadata of the run (for example <c>failure_reason</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = ImmutableDictionary<string, JsonElement>.Empty;

    /// <summary>
    /// Gets LLM responses cached ahead of their stage's record (write-ahead), by stage name. They move into the
    /// stage's <see cref="StageCheckpoint.LlmResponses"/> when the stage is saved.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<LlmResponse>> PendingLlmResponses { get; init; } =
        ImmutableDictionary<string, IReadOnlyList<LlmResponse>>.Empty;

    /// <summary>Gets the number of persisted changes; every persisted change adds one. Files of the Python manager load as 0.</summary>
    public long Version { get; init; }

    /// <summary>Gets stored top-level fields this library does not interpret; they are written back unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } =
        ImmutableDictionary<string, JsonElement>.Empty;
}
