using System.Text.Json;
using Checkpointing.FileStore;
using Checkpointing.LlmCache;
using Checkpointing.Manager;
using Checkpointing.Pipeline;
using Checkpointing.Telemetry;
using Microsoft.Extensions.Logging;

namespace Checkpointing;

/// <summary>
/// Records a pipeline's progress for one card so that after a crash, restart or deploy it resumes at the first
/// unfinished stage without paying again for LLM calls it already made.
/// </summary>
/// <example>
/// <code>
/// await using var manager = new CheckpointManager("CARD-123");
/// await manager.ResumeOrCreateAsync(totalStages: 5);   // the stored run, or a new one
/// </code>
/// </example>
/// <remarks>
/// Creating or resuming makes this manager the card's only writer until it is disposed (or its process dies); a
/// second manager gets <see cref="CheckpointLockedException"/>. Methods may be called from several threads.
/// </remarks>
public sealed partial class CheckpointManager : IAsyncDisposable
{
    private readonly ICheckpointRepository _repository;
    private readonly CheckpointManagerOptions _options;
    private readonly ILogger _logger;
    private readonly CheckpointCreator _creator;
    private readonly CheckpointRestorer _restorer;
    private readonly LlmResponseCache _cache = new();
    private readonly ResponseTexts _texts = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CheckpointOwnership? _ownership;

    private JsonSerializerOptions SerializerOptions => _options.SerializerOptions ?? CheckpointSerializerDefaults.Options;
    private volatile PipelineCheckpoint? _checkpoint;
    private bool _disposed;

    /// <summary>Initializes a manager for a card, stored as JSON files in the default directory.</summary>
    /// <param name="cardId">The card (work item) the pipeline runs for.</param>
    public CheckpointManager(string cardId)
        : this(cardId, new CheckpointManagerOptions())
    {
    }

    /// <summary>Initializes a manager for a card, stored as JSON files in <see cref="CheckpointManagerOptions.CheckpointDirectory"/>.</summary>
    /// <param name="cardId">The card (work item) the pipeline runs for.</param>
    /// <param name="options">Settings.</param>
    public CheckpointManager(string cardId, CheckpointManagerOptions options)
        : this(cardId, CreateFileRepository(options), options)
    {
    }

    /// <summary>Initializes a manager for a card stored in <paramref name="repository"/>.</summary>
    /// <param name="cardId">The card (work item) the pipeline runs for.</param>
    /// <param name="repository">Where checkpoints are stored.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where the manager logs, or <see langword="null"/> for no logging.</param>
    public CheckpointManager(
        string cardId, ICheckpointRepository repository, CheckpointManagerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        CardFileName.Validate(cardId);
        ArgumentNullException.ThrowIfNull(repository);
        CardId = cardId;
        _repository = repository;
        _options = options ?? new CheckpointManagerOptions();
        _logger = LoggerFactories.Create<CheckpointManager>(loggerFactory ?? _options.LoggerFactory);
        _creator = new CheckpointCreator(_options.TimeProvider, _options.SerializerOptions ?? CheckpointSerializerDefaults.Options);
        _restorer = new CheckpointRestorer(repository, _logger);
        _reuse = new StageReuse(cardId, _logger);
    }

    /// <summary>
    /// Gets the store this manager writes to (the default file store unless one was given). Use it to read other cards,
    /// or this one, without taking ownership: <c>manager.Repository.LoadAsync(cardId)</c>. Writing through it bypasses
    /// the manager: a change or delete of the card it owns makes the manager's next save fail with a conflict.
    /// </summary>
    public ICheckpointRepository Repository => _repository;

    /// <summary>Gets the card this manager records.</summary>
    public string CardId { get; }

    /// <summary>Gets the current checkpoint, or <see langword="null"/> before <see cref="CreateCheckpointAsync"/> or <see cref="ResumeAsync"/>.</summary>
    public PipelineCheckpoint? Checkpoint => _checkpoint;

    /// <summary>
    /// Records an attempt at a stage. Write-ahead responses of the stage (<see cref="CacheLlmResponseAsync"/>), those of
    /// earlier attempts and <paramref name="llmResponses"/> are kept once each. A new attempt after a failure is a retry.
    /// </summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="status">The outcome.</param>
    /// <param name="result">The stage's result, serialized to JSON; read it back with <see cref="StageCheckpoint.GetResult{T}"/>.</param>
    /// <param name="artifacts">Paths of files the stage produced.</param>
    /// <param name="llmResponses">LLM responses the stage received.</param>
    /// <param name="errorMessage">Why the stage failed.</param>
    /// <param name="startTime">When the attempt started; by default its end.</param>
    /// <param name="endTime">When the attempt ended; by default now.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the record is durable.</returns>
    public Task SaveStageCheckpointAsync(
        string stageName,
        StageStatus status,
        object? result = null,
        IReadOnlyList<string>? artifacts = null,
        IReadOnlyList<LlmResponse>? llmResponses = null,
        string? errorMessage = null,
        DateTimeOffset? startTime = null,
        DateTimeOffset? endTime = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stageName);
        return SaveStageCoreAsync(
            new StageAttempt(stageName, status)
            {
                Result = result,
                Artifacts = artifacts,
                LlmResponses = llmResponses,
                ErrorMessage = errorMessage,
                StartTime = startTime,
                EndTime = endTime,
            },
            cancellationToken);
    }

    /// <summary>
    /// Records an attempt at a stage; the same as the overload with one parameter per field of <paramref name="attempt"/>.
    /// </summary>
    /// <param name="attempt">The stage, its outcome and what it produced.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the record is durable.</returns>
    public Task SaveStageCheckpointAsync(StageAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentException.ThrowIfNullOrWhiteSpace(attempt.StageName, nameof(attempt));
        return SaveStageCoreAsync(attempt, cancellationToken);
    }

    /// <summary>Records which stage the pipeline is working on.</summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the change is durable.</returns>
    public Task SetCurrentStageAsync(string stageName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stageName);
        return WithGateAsync(async () =>
        {
            var current = RequireWritable("setting the current stage");
            await PersistAsync(new CurrentStageSet(current.Version + 1, _creator.Now, stageName), cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Marks the run completed; it can no longer be resumed, and further writes are refused. The stored document is
    /// compacted. On a run that is already completed this does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the change is durable.</returns>
    public Task MarkCompletedAsync(CancellationToken cancellationToken = default) =>
        ChangeStatusAsync(CheckpointStatus.Completed, null, cancellationToken);

    /// <summary>Marks the run failed, keeping <paramref name="reason"/> as <c>metadata.failure_reason</c>. It can be resumed.</summary>
    /// <param name="reason">Why the run failed.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the change is durable.</returns>
    public Task MarkFailedAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return ChangeStatusAsync(CheckpointStatus.Failed, reason, cancellationToken);
    }

    /// <summary>Marks the run paused on purpose; it can be resumed.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the change is durable.</returns>
    public Task PauseAsync(CancellationToken cancellationToken = default) =>
        ChangeStatusAsync(CheckpointStatus.Paused, null, cancellationToken);

    /// <summary>
    /// Returns the first stage, in the given order, that is neither completed nor skipped; before a checkpoint exists,
    /// the first stage.
    /// </summary>
    /// <param name="allStages">Every stage of the pipeline, in order.</param>
    /// <returns>The stage to run next, or <see langword="null"/> when none is left.</returns>
    public string? GetNextStage(IReadOnlyList<string> allStages)
    {
        ArgumentNullException.ThrowIfNull(allStages);
        if (_checkpoint is not { } current)
        {
            return allStages.Count > 0 ? allStages[0] : null;   // nothing recorded yet: the first stage, as the Python manager answers
        }

        foreach (var stage in allStages)
        {
            if (!current.CompletedStages.Contains(stage) && !current.SkippedStages.Contains(stage))
            {
                return stage;
            }
        }

        return null;
    }

    /// <summary>Computes how far the run has got; before a checkpoint exists, zero progress of zero stages.</summary>
    /// <returns>The progress.</returns>
    public PipelineProgress GetProgress() =>
        _checkpoint is { } current
            ? CheckpointCreator.GetProgress(current)
            : new PipelineProgress(0, 0, 0, null, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Folds every recorded change into one complete stored document (the file store's journal into its JSON file).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the document is durable.</returns>
    public Task CompactAsync(CancellationToken cancellationToken = default) =>
        WithGateAsync(async () =>
        {
            RequireCheckpoint();
            await _repository.CompactAsync(CardId, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Deletes the stored checkpoint and empties this manager's state and LLM cache.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the checkpoint is deleted.</returns>
    public Task ClearCheckpointAsync(CancellationToken cancellationToken = default) =>
        WithGateAsync(async () =>
        {
            await _repository.DeleteAsync(CardId, cancellationToken).ConfigureAwait(false);
            _checkpoint = null;
            _cache.Rebuild(null);
            Log.Cleared(_logger, CardId);
            return true;
        }, cancellationToken);

    private static FileSystemCheckpointRepository CreateFileRepository(CheckpointManagerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new FileSystemCheckpointRepository(
            options.ResolveCheckpointDirectory(),
            new FileSystemCheckpointRepositoryOptions { TimeProvider = options.TimeProvider },
            options.LoggerFactory);
    }

    private Task SaveStageCoreAsync(StageAttempt attempt, CancellationToken cancellationToken) =>
        WithGateAsync(async () =>
        {
            var current = RequireWritable($"saving stage '{attempt.StageName}'");
            attempt = attempt with { LlmResponses = _texts.Keep(attempt.LlmResponses) };
            var stage = _creator.CreateStage(current, attempt);
            await PersistAsync(new StageRecorded(current.Version + 1, _creator.Now, stage), cancellationToken).ConfigureAwait(false);
            foreach (var response in attempt.LlmResponses ?? [])
            {
                _cache.Add(attempt.StageName, response);
            }

            Log.StageSaved(_logger, CardId, attempt.StageName, attempt.Status, stage.Duration.TotalMilliseconds, stage.RetryCount, stage.LlmResponses.Count);
            return true;
        }, cancellationToken);

    private async Task ChangeStatusAsync(CheckpointStatus status, string? reason, CancellationToken cancellationToken) =>
        await WithGateAsync(async () =>
        {
            if (status == CheckpointStatus.Completed && RequireCheckpoint().Status == CheckpointStatus.Completed)
            {
                return true;   // already completed: the README's loop runs unchanged against a finished card
            }

            var current = RequireWritable($"marking it {status.ToString().ToLowerInvariant()}");
            await PersistAsync(new StatusChanged(current.Version + 1, _creator.Now, status, reason), cancellationToken).ConfigureAwait(false);
            Log.StatusChanged(_logger, CardId, status);
            if (status is CheckpointStatus.Completed or CheckpointStatus.Failed)
            {
                await CompactQuietlyAsync(cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);

    private async Task PersistAsync(CheckpointChange change, CancellationToken cancellationToken)
    {
        var applied = new AppliedChange(RequireCheckpoint(), change);
        var writeStarted = _options.TimeProvider.GetTimestamp();
        await _repository.SaveChangeAsync(applied, cancellationToken).ConfigureAwait(false);
        StoreWriteTelemetry.Record(_options.TimeProvider, writeStarted, change);
        _checkpoint = applied.Checkpoint;
    }

    /// <summary>The checkpoint, when it may still change: a completed run is kept as it is.</summary>
    /// <param name="operation">What the caller is about to do, for the message.</param>
    private PipelineCheckpoint RequireWritable(string operation)
    {
        var current = RequireCheckpoint();
        return current.Status != CheckpointStatus.Completed
            ? current
            : throw new InvalidOperationException(
                $"Card '{CardId}' has a completed run (version {current.Version}), which is kept as it is, so {operation} is refused. "
                + "To run the card again, start a new run with CreateCheckpointAsync, or set CheckpointManagerOptions.CompletedRuns "
                + "to CompletedRunPolicy.Restart so that ResumeOrCreateAsync does.");
    }

    private PipelineCheckpoint RequireCheckpoint() =>
        _checkpoint ?? throw new InvalidOperationException(
            $"Card '{CardId}' has no checkpoint in this manager yet: call ResumeOrCreateAsync (or CreateCheckpointAsync, ResumeAsync) first.");

    private async Task<T> WithGateAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
