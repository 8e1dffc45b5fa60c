namespace Checkpointing.LlmCache;

/// <summary>
/// The LLM calls of one manager that are under way, so that concurrent requests for the same answer make one paid
/// call. Each call runs with a token of its own: a waiter that cancels stops only its own wait, and the call itself
/// is cancelled only when every waiter has gone.
/// </summary>
internal sealed class InflightLlmCalls
{
    private readonly object _gate = new();
    private readonly Dictionary<(string StageName, string RequestKey), Call> _calls = [];

    /// <summary>Waits for the call under <paramref name="key"/>, starting it with <paramref name="start"/> if none is under way.</summary>
    /// <param name="key">The stage and request key.</param>
    /// <param name="start">Starts the call; it receives the call's own token, cancelled when every waiter has gone.</param>
    /// <param name="cancellationToken">Cancels this waiter's wait only.</param>
    /// <returns>The call's response.</returns>
    public async Task<LlmResponse> JoinAsync(
        (string StageName, string RequestKey) key, Func<CancellationToken, Task<LlmResponse>> start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Call call;
        lock (_gate)
        {
            if (!_calls.TryGetValue(key, out call!))
            {
                call = new Call(start);
                _calls.Add(key, call);
            }

            call.Waiters++;
        }

        try
        {
            return await call.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Leave(key, call);
        }
    }

    private void Leave((string StageName, string RequestKey) key, Call call)
    {
        bool abandoned;
        lock (_gate)
        {
            if (--call.Waiters > 0)
            {
                return;
            }

            _calls.Remove(key);
            abandoned = !call.Task.IsCompleted;
        }

        // Outside the lock: cancellation runs the call's registrations, which are the caller's code.
        if (abandoned)
        {
            call.Cancel();
        }
        else
        {
            call.Dispose();
        }
    }

    /// <summary>One call under way and the waiters that share it. <see cref="Waiters"/> is guarded by the owner's gate.</summary>
    private sealed class Call : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();
        private readonly Lazy<Task<LlmResponse>> _task;

        public Call(Func<CancellationToken, Task<LlmResponse>> start) =>
            _task = new Lazy<Task<LlmResponse>>(() => Observed(start(_cancellation.Token)));

        public int Waiters { get; set; }

        public Task<LlmResponse> Task => _task.Value;

        public void Cancel()
        {
            _cancellation.Cancel();
            _cancellation.Dispose();
        }

        public void Dispose() => _cancellation.Dispose();

        /// <summary>A call nobody waits for any more may still fail; its exception is observed so it is not reported as unobserved.</summary>
        private static Task<LlmResponse> Observed(Task<LlmResponse> task)
        {
            _ = task.ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }
    }
}
