namespace Checkpointing.Tests.Support;

/// <summary>
/// Background work of a card session held back until the test releases it, so that a test can pin down what a caller
/// sees while a fold or a successor's preparation is still to run. Counts the work started.
/// </summary>
public sealed class HeldBackground
{
    private readonly List<TaskCompletionSource> _gates = [];
    private readonly List<Task> _work = [];

    /// <summary>Gets how many pieces of background work were started.</summary>
    public int Started
    {
        get
        {
            lock (_gates)
            {
                return _gates.Count;
            }
        }
    }

    /// <summary>Starts <paramref name="work"/> once released.</summary>
    public Task Start(Func<Task> work)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gates)
        {
            _gates.Add(gate);
            var task = RunAsync(gate.Task, work);
            _work.Add(task);
            return task;
        }
    }

    /// <summary>Lets every piece of work started so far (and none started later) run.</summary>
    public void Release()
    {
        lock (_gates)
        {
            foreach (var gate in _gates)
            {
                gate.TrySetResult();
            }
        }
    }

    /// <summary>Lets the work started so far run, and waits for it to end.</summary>
    public Task RunAsync()
    {
        Release();
        lock (_gates)
        {
            return Task.WhenAll([.. _work]);
        }
    }

    private static async Task RunAsync(Task gate, Func<Task> work)
    {
        await gate;
        await work();
    }
}
