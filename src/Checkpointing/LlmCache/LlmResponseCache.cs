namespace Checkpointing.LlmCache;

/// <summary>
/// The in-memory index of every LLM response a run has paid for, keyed by stage and the full SHA-256 of the prompt,
/// with the latest response overall and the latest per model. Thread-safe; lookups allocate nothing once their stage is
/// indexed.
/// </summary>
/// <remarks>
/// A rebuild from a stored checkpoint indexes nothing yet: a stage's stored responses are hashed the first time that
/// stage is looked up or added to. A resumed run looks up only the stages it has not finished, so resuming a long run
/// no longer hashes every prompt it ever sent. The result is the same as indexing everything at once: keys never span
/// stages, and a stage's stored responses are always indexed before anything added to it later.
/// </remarks>
internal sealed class LlmResponseCache
{
    private readonly Dictionary<CacheKey, Entry> _entries = [];
    private readonly Dictionary<(string StageName, string RequestKey), LlmResponse> _byRequest = [];
    private readonly HashSet<string> _indexedStages = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>The checkpoint of the last rebuild, whose stages not in <see cref="_indexedStages"/> are not indexed yet.</summary>
    private PipelineCheckpoint? _stored;

    /// <summary>Gets the number of distinct stage and prompt pairs cached (indexing every stage not indexed yet).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                if (_stored is { } stored)
                {
                    foreach (var stageName in stored.StageCheckpoints.Keys)
                    {
                        EnsureIndexedLocked(stageName);
                    }

                    foreach (var stageName in stored.PendingLlmResponses.Keys)
                    {
                        EnsureIndexedLocked(stageName);
                    }
                }

                return _entries.Count;
            }
        }
    }

    /// <summary>Gets the number of stages whose stored responses are indexed (for tests of the laziness).</summary>
    internal int IndexedStageCount
    {
        get
        {
            lock (_gate)
            {
                return _indexedStages.Count;
            }
        }
    }

    /// <summary>Counts the responses a checkpoint holds (stage records and write-ahead), without indexing them.</summary>
    public static int CountStored(PipelineCheckpoint checkpoint)
    {
        var count = 0;
        foreach (var stage in checkpoint.StageCheckpoints.Values)
        {
            count += stage.LlmResponses.Count;
        }

        foreach (var pending in checkpoint.PendingLlmResponses.Values)
        {
            count += pending.Count;
        }

        return count;
    }

    /// <summary>Adds a response; it becomes the latest for its stage and prompt, and for its model.</summary>
    public void Add(string stageName, LlmResponse response)
    {
        var key = new CacheKey(stageName, PromptHash.Of(response));
        lock (_gate)
        {
            EnsureIndexedLocked(stageName);
            AddLocked(key, response);
        }
    }

    /// <summary>
    /// Replaces the contents with every response of a checkpoint: for each stage, its record's responses first, then its
    /// write-ahead ones, so "latest" means the same as when adding. Stages are indexed on first use.
    /// </summary>
    public void Rebuild(PipelineCheckpoint? checkpoint)
    {
        lock (_gate)
        {
            _entries.Clear();
            _byRequest.Clear();
            _indexedStages.Clear();
            _stored = checkpoint;
        }
    }

    /// <summary>Finds the latest response for a stage and prompt; with a model, only that model's.</summary>
    public LlmResponse? Find(string stageName, string prompt, string? model)
    {
        var key = new CacheKey(stageName, PromptHash.Of(prompt));
        lock (_gate)
        {
            EnsureIndexedLocked(stageName);
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
            EnsureIndexedLocked(stageName);
            return _byRequest.GetValueOrDefault((stageName, requestKey));
        }
    }

    /// <summary>Indexes the stored responses of <paramref name="stageName"/> the first time the stage is used.</summary>
    private void EnsureIndexedLocked(string stageName)
    {
        if (_stored is not { } stored || !_indexedStages.Add(stageName))
        {
            return;
        }

        if (stored.StageCheckpoints.TryGetValue(stageName, out var stage))
        {
            foreach (var response in stage.LlmResponses)
            {
                AddLocked(new CacheKey(stageName, PromptHash.Of(response)), response);
            }
        }

        if (stored.PendingLlmResponses.TryGetValue(stageName, out var pending))
        {
            foreach (var response in pending)
            {
                AddLocked(new CacheKey(stageName, PromptHash.Of(response)), response);
            }
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
