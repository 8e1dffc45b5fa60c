namespace Checkpointing;

/// <summary>
/// What a stage's work receives from <see cref="CheckpointManager.RunStageAsync{T}"/>: memoized LLM calls and
/// artifact registration. Everything gathered here is saved with the stage.
/// </summary>
public sealed class StageContext
{
    private readonly MemoizedLlmCall _llmCall;
    private readonly List<LlmResponse> _responses = [];
    private readonly List<string> _artifacts = [];
    private readonly object _gate = new();
    private LlmUsageTotals _savedByCache = LlmUsageTotals.Empty;

    /// <summary>Initializes the context of one run of a stage.</summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="checkpoint">The checkpoint as the stage starts.</param>
    /// <param name="llmCall">Answers an LLM request of this stage from the cache, or calls and stores it write-ahead.</param>
    internal StageContext(string stageName, PipelineCheckpoint checkpoint, MemoizedLlmCall llmCall)
    {
        StageName = stageName;
        Checkpoint = checkpoint;
        _llmCall = llmCall;
    }

    /// <summary>Answers an LLM request of a stage from the cache, or makes the call and stores its answer write-ahead.</summary>
    /// <param name="request">The request.</param>
    /// <param name="call">The paid call.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The response, and whether it came from the cache.</returns>
    internal delegate Task<(LlmResponse Response, bool FromCache)> MemoizedLlmCall(
        LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken);

    /// <summary>
    /// Gets the stage whose work is running on this asynchronous flow, or <see langword="null"/> outside
    /// <see cref="CheckpointManager.RunStageAsync{T}"/>. Code called from a stage's work (an <c>IChatClient</c>
    /// middleware, a helper) finds the stage here without being passed it.
    /// </summary>
    /// <remarks>
    /// The value flows like any <see cref="AsyncLocal{T}"/>: into every task the work starts and awaits, not back to the
    /// caller of <c>RunStageAsync</c>. Work started from a stage that outlives it still sees the stage, whose context no
    /// longer records anything new once the stage is saved.
    /// </remarks>
    public static StageContext? Current => CurrentSlot.Value;

    /// <summary>Gets the slot <see cref="CheckpointManager.RunStageAsync{T}"/> sets for its work.</summary>
    internal static AsyncLocal<StageContext?> CurrentSlot { get; } = new();

    /// <summary>Gets the stage being run.</summary>
    public string StageName { get; }

    /// <summary>Gets the checkpoint as it was when the stage started.</summary>
    public PipelineCheckpoint Checkpoint { get; }

    /// <summary>Gets the LLM responses gathered so far, in order.</summary>
    public IReadOnlyList<LlmResponse> LlmResponses
    {
        get
        {
            lock (_gate)
            {
                return [.. _responses];
            }
        }
    }

    /// <summary>Gets the artifacts registered so far.</summary>
    public IReadOnlyList<string> Artifacts
    {
        get
        {
            lock (_gate)
            {
                return [.. _artifacts];
            }
        }
    }

    /// <summary>Gets the usage of calls answered from the cache in this stage.</summary>
    public LlmUsageTotals SavedByCache
    {
        get
        {
            lock (_gate)
            {
                return _savedByCache;
            }
        }
    }

    /// <summary>
    /// Returns the cached response to <paramref name="request"/>, or runs <paramref name="call"/> once and stores its
    /// response durably before returning. The response is saved with the stage.
    /// </summary>
    /// <param name="request">The request; its <see cref="LlmRequest.CacheKey"/> identifies the answer.</param>
    /// <param name="call">The paid LLM call.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The response.</returns>
    public async Task<LlmResponse> GetOrAddLlmResponseAsync(
        LlmRequest request, Func<CancellationToken, Task<LlmResponse>> call, CancellationToken cancellationToken = default)
    {
        var (response, fromCache) = await _llmCall(request, call, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _responses.Add(response);
            if (fromCache)
            {
                _savedByCache = _savedByCache.Add(response);
            }
        }

        return response;
    }

    /// <summary>Records a response of a call made without <see cref="GetOrAddLlmResponseAsync"/>, to save with the stage.</summary>
    /// <param name="response">The response.</param>
    public void AddLlmResponse(LlmResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        lock (_gate)
        {
            _responses.Add(response);
        }
    }

    /// <summary>
    /// Registers a file the stage produced. When the stage completes its size and SHA-256 are stored; on resume a
    /// missing or changed file makes the stage run again (see <see cref="StageOptions.ArtifactValidation"/>).
    /// </summary>
    /// <param name="path">The file's path, as the pipeline will look for it on resume.</param>
    public void AddArtifact(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        lock (_gate)
        {
            if (!_artifacts.Contains(path))
            {
                _artifacts.Add(path);
            }
        }
    }
}
