using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace Checkpointing;

/// <summary>
/// One streaming call through a stage's memoization: the inner stream, when the stage has to pay for it, is passed on
/// update by update through a channel while the updates are gathered; the assembled response is what the stage
/// writes ahead once the caller has read every update. Disposing before <see cref="CompleteAsync"/> abandons the
/// stream, which then caches nothing.
/// </summary>
internal sealed class StreamingCall : IAsyncDisposable
{
    private readonly Func<CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> _stream;
    private readonly Func<IReadOnlyList<ChatResponseUpdate>, LlmResponse> _toRecord;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenSource _abandon;
    private readonly Channel<ChatResponseUpdate> _fresh = Channel.CreateUnbounded<ChatResponseUpdate>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<LlmResponse>? _lookup;
    private bool _completed;
    private volatile bool _invoked;

    public StreamingCall(
        Func<CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> stream,
        Func<IReadOnlyList<ChatResponseUpdate>, LlmResponse> toRecord,
        CancellationToken cancellationToken)
    {
        _stream = stream;
        _toRecord = toRecord;
        _cancellationToken = cancellationToken;
        _abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Gets whether this call paid for the stream (a miss), rather than receiving a stored or shared answer.</summary>
    public bool Invoked => _invoked;

    /// <summary>Starts the lookup: the stage's cached answer, or the inner stream paid for once.</summary>
    public void Start(StageContext stage, LlmRequest request)
    {
        _lookup = stage.GetOrAddLlmResponseAsync(request, PayAsync, _cancellationToken);
        _ = _lookup.ContinueWith(
            static (_, channel) => ((Channel<ChatResponseUpdate>)channel!).Writer.TryComplete(),
            _fresh, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Reads the updates of a paid stream as they arrive; nothing for a hit.</summary>
    public IAsyncEnumerable<ChatResponseUpdate> ReadFreshAsync() => _fresh.Reader.ReadAllAsync(_cancellationToken);

    /// <summary>
    /// Tells that the caller has read every update, then waits until the answer is durable (or known not to be
    /// cacheable) and returns its record.
    /// </summary>
    public async Task<LlmResponse> CompleteAsync()
    {
        _drained.TrySetResult();
        var record = await _lookup!.ConfigureAwait(false);
        _completed = true;
        return record;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completed && _lookup is not null)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await _lookup.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException || _abandon.IsCancellationRequested)
            {
                // The abandoned stream was cancelled (however the inner client reports it): nothing was cached, and
                // the caller that walked away has no use for the failure.
            }
        }

        _abandon.Dispose();
    }

    private async Task<LlmResponse> PayAsync(CancellationToken token)
    {
        _invoked = true;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, _abandon.Token);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _stream(linked.Token).WithCancellation(linked.Token).ConfigureAwait(false))
        {
            updates.Add(update);
            _fresh.Writer.TryWrite(update);
        }

        _fresh.Writer.TryComplete();

        // The stream is complete only once the caller has read it to the end: one that walks away before caches nothing.
        await _drained.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        return _toRecord(updates);
    }
}
