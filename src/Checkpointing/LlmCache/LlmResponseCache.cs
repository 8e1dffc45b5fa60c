namespace Checkpointing.LlmCache;

/// <summary>
/// The in-memory index of every LLM response a run has paid for, keyed by stage and the full SHA-256 of the prompt,
/// with the latest response overall and the latest per model. Thread-safe; lookups allocate nothing.
/// </summary>
internal sealed class LlmResponseCache
{
    /// <summary>The number of responses from which a rebuild hashes prompts in parallel.</summary>
    private const int ParallelHashThreshold = 256;

    private readonly Dictionary<CacheKey, Entry> _entries = [];
    private readonly Dictionary<(string StageName, string RequestKey), LlmResponse> _byRequest = [];
    private readonly object _gate = new();

    /// <summary>Gets the number of distinct stage and prompt pairs cached.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Adds a response; it becomes the latest for its stage and prompt, and for its model.</summary>
    public void Add(string stageName, LlmResponse response)
    {
        var key = new CacheKey(stageName, PromptHash.Of(response));
        lock (_gate)
        {
            AddLocked(key, response);
        }
    }

    /// <summary>
    /// Replaces the contents with every response of a checkpoint: stage records first, then write-ahead ones. The
    /// prompts are hashed on all cores; the index is then filled in order, so "latest" means the same as when adding.
    /// </summary>
    public void Rebuild(PipelineCheckpoint? checkpoint)
    {
        var responses = new List<(string StageName, LlmResponse Response)>();
        if (checkpoint is not null)
        {
            foreach (var stage in checkpoint.StageCheckpoints.Values)
            {
                responses.AddRange(stage.LlmResponses.Select(response => (stage.StageName, response)));
            }

            foreach (var (stageName, pending) in checkpoint.PendingLlmResponses)
            {
                responses.AddRange(pending.Select(response => (stageName, response)));
            }
        }

        var hashes = new PromptHash[responses.Count];
        if (responses.Count >= ParallelHashThreshold)
        {
            Parallel.For(0, responses.Count, i => hashes[i] = PromptHash.Of(responses[i].Response));
        }
        else
        {
            for (var i = 0; i < responses.Count; i++)
            {
                hashes[i] = PromptHash.Of(responses[i].Response);
            }
        }

        lock (_gate)
        {
            _entries.Clear();
            _byRequest.Clear();
            for (var i = 0; i < responses.Count; i++)
            {
                AddLocked(new CacheKey(responses[i].StageName, hashes[i]), responses[i].Response);
            }
        }
    }

    /// <summary>Finds the latest response for a stage and prompt; with a model, only that model's.</summary>
    public LlmResponse? Find(string stageName, string prompt, string? model)
    {
        var key = new CacheKey(stageName, PromptHash.Of(prompt));
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return null;
            }

            if (model is null)
            {
                return entry.Latest;
            }

            if (entry.ByModel is { } byModel)
            {
                return byModel.GetValueOrDefault(model);
            }

            return entry.Latest.Model == model ? entry.Latest : null;
        }
    }

    /// <summary>Finds the response stored for an <see cref="LlmRequest"/> cache key in a stage.</summary>
    public LlmResponse? FindByRequest(string stageName, string requestKey)
    {
        lock (_gate)
        {
            return _byRequest.GetValueOrDefault((stageName, requestKey));
        }
    }

    private void AddLocked(CacheKey key, LlmResponse response)
    {
        if (response.RequestKey is { } requestKey && response.IsReusable)
        {
            _byRequest[(key.StageName, requestKey)] = response;
        }

        if (!_entries.TryGetValue(key, out var entry))
        {
            _entries[key] = new Entry(response);
            return;
        }

        if (entry.ByModel is null && entry.Latest.Model != response.Model)
        {
            entry.ByModel = new Dictionary<string, LlmResponse>(StringComparer.Ordinal);
            if (entry.Latest.Model is { } previousModel)
            {
                entry.ByModel[previousModel] = entry.Latest;
            }
        }

        if (entry.ByModel is not null && response.Model is { } model)
        {
            entry.ByModel[model] = response;
        }

        entry.Latest = response;
    }

    private readonly record struct CacheKey(string StageName, PromptHash PromptHash);

    private sealed class Entry(LlmResponse latest)
    {
        public LlmResponse Latest { get; set; } = latest;

        public Dictionary<string, LlmResponse>? ByModel { get; set; }
    }
}
