using Checkpointing.LlmCache;
using Checkpointing.Telemetry;
using Microsoft.Extensions.Logging;

namespace Checkpointing;

// The LLM response cache of the facade: write-ahead storage, lookups by prompt, and memoized calls by request (with
// their span and counters). (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
    private readonly InflightLlmCalls _inflight = new();

    /// <summary>
    /// Stores one LLM response durably before returning, ahead of its stage's record, so a crash mid-stage does not
    /// lose an answer already paid for. Lookups see it at once.
    /// </summary>
    /// <param name="stageName">The stage the response belongs to.</param>
    /// <param name="response">The response.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the response is durable.</returns>
    public Task CacheLlmResponseAsync(string stageName, LlmResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stageName);
        ArgumentNullException.ThrowIfNull(response);
        return WithGateAsync(async () =>
        {
            var current = RequireWritable($"caching an LLM response for stage '{stageName}'");
            var kept = _texts.Keep(response);
            await PersistAsync(new LlmResponseCached(current.Version + 1, _creator.Now, stageName, kept), cancellationToken).ConfigureAwait(false);
            _cache.Add(stageName, kept);
            return true;
        }, cancellationToken);
    }

    /// <summary>Finds a response already paid for: the latest for this stage and prompt, of <paramref name="model"/> when given.</summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="prompt">The prompt exactly as it would be sent.</param>
    /// <param name="model">Only a response of this model matches; <see langword="null"/> matches any model.</param>
    /// <returns>The response, or <see langword="null"/> on a miss or when <see cref="CheckpointManagerOptions.EnableLlmCache"/> is off.</returns>
    /// <exception cref="InvalidOperationException">No checkpoint yet: call <see cref="ResumeOrCreateAsync"/> first.</exception>
    /// <remarks>
    /// This is the lookup by prompt: the key is the stage and the full SHA-256 of the prompt's UTF-8, which every stored
    /// answer has. <see cref="GetOrAddLlmResponseAsync"/> looks up by <see cref="LlmRequest.CacheKey"/> instead (the
    /// whole request), a key only answers stored through it carry; those answers are found here too, by their prompt.
    /// </remarks>
    public LlmResponse? GetCachedLlmResponse(string stageName, string prompt, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(stageName);
        ArgumentNullException.ThrowIfNull(prompt);
        RequireCheckpoint();
        if (!_options.EnableLlmCache)
        {
            return null;
        }

        var response = _cache.Find(stageName, prompt, model);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.CacheLookup(_logger, CardId, stageName, response is null ? "miss" : "hit");
        }

        return response;
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

    private async Task<(LlmResponse Response, bool FromCache)> GetOrAddLlmResponseObservedAsync(
        string stageName, LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken)
    {
        using var activity = request is null ? null : LlmCallTelemetry.Start(CardId, stageName, request);
        try
        {
            var result = await GetOrAddLlmResponseCoreAsync(stageName, request!, call, cancellationToken).ConfigureAwait(false);
            LlmCallTelemetry.Record(activity, result.Response, result.FromCache);
            return result;
        }
        catch (Exception ex)
        {
            LlmCallTelemetry.Fail(activity, ex);
            throw;
        }
    }

    private async Task<(LlmResponse Response, bool FromCache)> GetOrAddLlmResponseCoreAsync(
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
}
