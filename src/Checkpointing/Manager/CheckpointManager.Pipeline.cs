using System.Text.Json;
using Checkpointing.Json;
using Checkpointing.LlmCache;
using Checkpointing.Manager;
using Checkpointing.Pipeline;
using Checkpointing.Telemetry;

namespace Checkpointing;

// The run-once stage API: skip what is done and still valid, record what happens, memoize LLM calls.
// (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
    private readonly StageReuse _reuse;

    /// <summary>
    /// Runs a stage once. A stage already completed (with the same fingerprint and intact artifacts) is not run again:
    /// its stored result is returned. Otherwise the stage is marked current, <paramref name="work"/> runs, and the stage
    /// is saved as completed with its result, times, artifacts and LLM responses. An exception saves a failed stage
    /// (message, type, retry count) and is rethrown unchanged; cancellation through <paramref name="cancellationToken"/>
    /// records nothing. In a completed run (see <see cref="CheckpointManagerOptions.CompletedRuns"/>) every stored
    /// result is returned as it is, without fingerprint or artifact checks, and a stage it did not complete is refused.
    /// </summary>
    /// <typeparam name="T">The stage's result, stored as JSON.</typeparam>
    /// <param name="stageName">The stage.</param>
    /// <param name="work">The stage's work.</param>
    /// <param name="options">Skip condition, fingerprint and artifact checks.</param>
    /// <param name="cancellationToken">Cancels the stage.</param>
    /// <returns>The result, fresh or stored; <see langword="default"/> for a skipped stage.</returns>
    /// <exception cref="InvalidOperationException">The run is completed and did not complete this stage.</exception>
    public async Task<T> RunStageAsync<T>(
        string stageName, Func<StageContext, CancellationToken, Task<T>> work, StageOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stageName);
        ArgumentNullException.ThrowIfNull(work);
        options ??= new StageOptions();
        var checkpoint = RequireCheckpoint();
        using var telemetry = new StageTelemetry(CardId, stageName, _options.TimeProvider);
        if (checkpoint.StageCheckpoints.TryGetValue(stageName, out var stored))
        {
            if (stored.Status == StageStatus.Skipped)
            {
                telemetry.Outcome = "skipped";
                return default!;
            }

            if (stored.Status == StageStatus.Completed
                && (_reuse.IsKeptAsCompleted(checkpoint, stored, options) || await _reuse.IsStillValidAsync(checkpoint, stored, options, cancellationToken).ConfigureAwait(false)))
            {
                telemetry.Outcome = "reused";
                return ReadStoredResult<T>(stored);
            }
        }

        RequireWritable($"running stage '{stageName}', which that run did not complete,");
        if (options.Skip?.Invoke(checkpoint) == true)
        {
            await SaveStageCheckpointAsync(stageName, StageStatus.Skipped, cancellationToken: cancellationToken).ConfigureAwait(false);
            ReportProgress();
            telemetry.Outcome = "skipped";
            return default!;
        }

        await SetCurrentStageAsync(stageName, cancellationToken).ConfigureAwait(false);
        ReportProgress();
        var context = new StageContext(
            stageName, RequireCheckpoint(), (request, call, token) => GetOrAddLlmResponseObservedAsync(stageName, request, call, token));
        StageContext.CurrentSlot.Value = context;   // the ambient stage (StageContext.Current) of the work's async flow
        var start = _creator.Now;
        T result;
        Dictionary<string, ArtifactDigest> digests;
        try
        {
            result = await work(context, cancellationToken).ConfigureAwait(false);
            digests = await StageRecordMetadata.DigestArtifactsAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var failure = StageRecordMetadata.For(options, context, null);
            failure[CheckpointCreator.ErrorTypeKey] = LibraryJsonContext.StringValue(ex.GetType().FullName);
            var attempt = new StageAttempt(stageName, StageStatus.Failed)
            {
                Artifacts = context.Artifacts,
                LlmResponses = context.LlmResponses,
                ErrorMessage = ex.Message,
                StartTime = start,
                Metadata = failure,
            };
            await SaveStageCoreAsync(attempt, CancellationToken.None).ConfigureAwait(false);
            Log.StageFailed(_logger, CardId, stageName, ex);
            ReportProgress();
            telemetry.Outcome = "failed";
            telemetry.RecordRetries(_checkpoint);
            throw;
        }

        var completed = new StageAttempt(stageName, StageStatus.Completed)
        {
            Result = result,
            Artifacts = context.Artifacts,
            LlmResponses = context.LlmResponses,
            StartTime = start,
            Metadata = StageRecordMetadata.For(options, context, digests),
        };
        await SaveStageCoreAsync(completed, cancellationToken).ConfigureAwait(false);
        ReportProgress();
        telemetry.Outcome = "ran";
        telemetry.RecordRetries(_checkpoint);
        return result;
    }

    /// <summary>Runs a stage once; see <see cref="RunStageAsync{T}"/>.</summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="work">The stage's work.</param>
    /// <param name="options">Skip condition, fingerprint and artifact checks.</param>
    /// <param name="cancellationToken">Cancels the stage.</param>
    /// <returns>A task that completes when the stage is done or was already done.</returns>
    public Task RunStageAsync(
        string stageName, Func<StageContext, CancellationToken, Task> work, StageOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunStageAsync<JsonElement?>(stageName, async (context, token) =>
        {
            await work(context, token).ConfigureAwait(false);
            return null;
        }, options, cancellationToken);
    }

    /// <summary>Sums the LLM usage of the run per stage, and what cache hits saved.</summary>
    /// <returns>The report.</returns>
    /// <exception cref="CheckpointCorruptedException">The stored usage sums past what the totals can hold.</exception>
    public CostReport GetCostReport() => CostReports.Of(RequireCheckpoint());

    /// <summary>Reads a completed stage's stored result as <typeparamref name="T"/>, naming the stage when it cannot be.</summary>
    private T ReadStoredResult<T>(StageCheckpoint stored)
    {
        try
        {
            return stored.GetResult<T>(SerializerOptions)!;
        }
        catch (JsonException ex)
        {
            throw new CheckpointResultException(CardId, stored.StageName, typeof(T), ex);
        }
    }

    private void ReportProgress()
    {
        if (_options.Progress is { } progress && _checkpoint is { } checkpoint)
        {
            progress.Report(CheckpointCreator.GetProgress(checkpoint));
        }
    }
}
