using Microsoft.Extensions.Logging;

namespace Checkpointing;

// The LLM response cache of the facade: write-ahead storage and lookups. (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
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
            await PersistAsync(new LlmResponseCached(current.Version + 1, _creator.Now, stageName, response), cancellationToken).ConfigureAwait(false);
            _cache.Add(stageName, response);
            return true;
        }, cancellationToken);
    }

    /// <summary>Finds a response already paid for: the latest for this stage and prompt, of <paramref name="model"/> when given.</summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="prompt">The prompt exactly as it would be sent.</param>
    /// <param name="model">Only a response of this model matches; <see langword="null"/> matches any model.</param>
    /// <returns>The response, or <see langword="null"/> on a miss or when <see cref="CheckpointManagerOptions.EnableLlmCache"/> is off.</returns>
    /// <exception cref="InvalidOperationException">No checkpoint yet: call <see cref="ResumeOrCreateAsync"/> first.</exception>
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
}
