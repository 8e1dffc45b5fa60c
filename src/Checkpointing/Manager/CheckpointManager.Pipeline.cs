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
    /// <summary>The stage metadata key of <see cref="StageOptions.Fingerprint"/>.</summary>
    internal const string FingerprintKey = "fingerprint";
    private const string SavedByCacheKey = SavedByCache.MetadataKey;

    private readonly InflightLlmCalls _inflight = new();

    /// <summary>Stages recorded after one whose fingerprint changed: they run again too. Guarded by locking the set itself.</summary>
    private readonly HashSet<string> _invalidatedStages = new(StringComparer.Ordinal);

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
                && (IsKeptAsCompleted(checkpoint, stored, options) || await IsStillValidAsync(checkpoint, stored, options, cancellationToken).ConfigureAwait(false)))
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
        var context = new StageContext(this, stageName);
        StageContext.CurrentSlot.Value = context;   // the ambient stage (StageContext.Current) of the work's async flow
        var start = _creator.Now;
        T result;
        Dictionary<string, ArtifactDigest> digests;
        try
        {
            result = await work(context, cancellationToken).ConfigureAwait(false);
            digests = await DigestArtifactsAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var failure = StageMetadata(options, context, null);
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
            Metadata = StageMetadata(options, context, digests),
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

    /// <summary>
    /// Returns the cached response to <paramref name="request"/> in a stage, or runs <paramref name="call"/> once and
    /// stores its response durably (write-ahead) before returning. Concurrent calls for the same request make one call,
    /// which runs with a token of its own: a caller that cancels stops only its own wait, and the call is cancelled only
    /// when every caller waiting for it has gone. An answer that arrives is stored even if its callers have gone.
    /// A response that was truncated or failed (<see cref="LlmResponse.IsReusable"/>) is returned but never cached.
    /// </summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="request">The request; its <see cref="LlmRequest.CacheKey"/> identifies the answer.</param>
    /// <param name="call">The paid LLM call.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The response.</returns>
    public async Task<LlmResponse> GetOrAddLlmResponseAsync(
        string stageName, LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken = default) =>
        (await GetOrAddLlmResponseObservedAsync(stageName, request, call, cancellationToken).ConfigureAwait(false)).Response;

    /// <summary>Sums the LLM usage of the run per stage, and what cache hits saved.</summary>
    /// <returns>The report.</returns>
    /// <exception cref="CheckpointCorruptedException">The stored usage sums past what the totals can hold.</exception>
    public CostReport GetCostReport() => CostReport.For(RequireCheckpoint());

    internal async Task<(LlmResponse Response, bool FromCache)> GetOrAddLlmResponseCoreAsync(
        string stageName, LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stageName);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(call);
        var key = request.CacheKey;
        RequireCheckpoint();
        if (_options.EnableLlmCache && _cache.FindByRequest(stageName, key) is { } cached)
        {
            Log.CacheLookup(_logger, CardId, stageName, "hit");
            return (cached, true);
        }

        RequireWritable($"calling the LLM for stage '{stageName}'");   // before paying: the answer could not be stored
        var response = await _inflight.JoinAsync((stageName, key), token => CallAndStoreAsync(stageName, request, call, token), cancellationToken)
            .ConfigureAwait(false);
        return (response, false);
    }

    private async Task<LlmResponse> CallAndStoreAsync(
        string stageName, LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken)
    {
        var response = await call(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The LLM call returned no response.");
        response = response with
        {
            Prompt = string.IsNullOrEmpty(response.Prompt) ? request.PromptText : response.Prompt,
            Model = response.Model ?? request.Model,
            RequestKey = request.CacheKey,
        };
        if (response.IsReusable)
        {
            // Paid for: stored even if every waiter has gone meanwhile, so the answer is never paid for again.
            await CacheLlmResponseAsync(stageName, response, CancellationToken.None).ConfigureAwait(false);
        }

        return response;
    }

    private static async Task<Dictionary<string, ArtifactDigest>> DigestArtifactsAsync(StageContext context, CancellationToken cancellationToken)
    {
        var digests = new Dictionary<string, ArtifactDigest>(StringComparer.Ordinal);
        foreach (var artifact in context.Artifacts)
        {
            if (!File.Exists(artifact))
            {
                throw new CheckpointArtifactException(context.StageName, artifact, "was registered but does not exist when the stage ends: write the file before the stage's work returns, or do not register it");
            }

            digests[artifact] = await ArtifactDigest.ComputeAsync(artifact, cancellationToken).ConfigureAwait(false);
        }

        return digests;
    }

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

    /// <summary>A completed run's stored results are returned as they are; a changed fingerprint there is only logged.</summary>
    private bool IsKeptAsCompleted(PipelineCheckpoint checkpoint, StageCheckpoint stored, StageOptions options)
    {
        if (checkpoint.Status != CheckpointStatus.Completed)
        {
            return false;
        }

        if (options.Fingerprint is { } requested && StoredFingerprint(stored) is var storedFingerprint && storedFingerprint != requested)
        {
            Log.FingerprintIgnoredInCompletedRun(_logger, CardId, stored.StageName, storedFingerprint, requested);
        }

        return true;
    }

    private static string? StoredFingerprint(StageCheckpoint stored) =>
        stored.Metadata.TryGetValue(FingerprintKey, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;

    private async Task<bool> IsStillValidAsync(
        PipelineCheckpoint checkpoint, StageCheckpoint stored, StageOptions options, CancellationToken cancellationToken)
    {
        bool invalidated;
        lock (_invalidatedStages)
        {
            invalidated = _invalidatedStages.Contains(stored.StageName);
        }

        if (invalidated)
        {
            Log.StageRerun(_logger, CardId, stored.StageName, "an earlier stage's fingerprint changed");
            return false;
        }

        var storedFingerprint = StoredFingerprint(stored);
        if (options.Fingerprint is not null && options.Fingerprint != storedFingerprint)
        {
            Log.StageRerun(_logger, CardId, stored.StageName, $"its fingerprint changed from '{storedFingerprint}' to '{options.Fingerprint}'");
            lock (_invalidatedStages)
            {
                _invalidatedStages.UnionWith(checkpoint.StageCheckpoints.Keys.SkipWhile(name => name != stored.StageName).Skip(1));
            }

            return false;
        }

        if (options.ArtifactValidation == ArtifactValidation.Ignore)
        {
            return true;
        }

        foreach (var (path, digest) in ArtifactDigest.FromMetadata(stored))
        {
            if (await digest.CheckAsync(path, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                if (options.ArtifactValidation == ArtifactValidation.Throw)
                {
                    throw new CheckpointArtifactException(stored.StageName, path, problem);
                }

                Log.StageRerun(_logger, CardId, stored.StageName, $"its artifact '{path}' {problem}");
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, JsonElement> StageMetadata(
        StageOptions options, StageContext context, IReadOnlyDictionary<string, ArtifactDigest>? digests)
    {
        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (options.Fingerprint is not null)
        {
            metadata[FingerprintKey] = LibraryJsonContext.StringValue(options.Fingerprint);
        }

        if (digests is { Count: > 0 })
        {
            metadata[ArtifactDigest.MetadataKey] = ArtifactDigest.ToJson(digests);
        }

        if (context.SavedByCache.Calls > 0)
        {
            metadata[SavedByCacheKey] = JsonSerializer.SerializeToElement(context.SavedByCache, LibraryJsonContext.Default.LlmUsageTotals);
        }

        return metadata;
    }

    private void ReportProgress()
    {
        if (_options.Progress is { } progress && _checkpoint is { } checkpoint)
        {
            progress.Report(CheckpointCreator.GetProgress(checkpoint));
        }
    }
}
