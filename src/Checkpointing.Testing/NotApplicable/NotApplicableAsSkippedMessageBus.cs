using Xunit.Abstractions;
using Xunit.Sdk;

namespace Checkpointing.Testing;

/// <summary>
/// Passes every message on to the runner's bus, except a test failed by
/// <see cref="ConformanceTestNotApplicableException"/>, which it passes on as skipped. Disposing it leaves the runner's
/// bus alone (the runner owns it).
/// </summary>
internal sealed class NotApplicableAsSkippedMessageBus(IMessageBus inner) : IMessageBus
{
    private static readonly string NotApplicable = typeof(ConformanceTestNotApplicableException).FullName!;

    /// <summary>How many tests were turned from failed into skipped.</summary>
    public int Skipped { get; private set; }

    public bool QueueMessage(IMessageSinkMessage message)
    {
        if (message is ITestFailed failed && failed.ExceptionTypes.Length > 0 && failed.ExceptionTypes[0] == NotApplicable)
        {
            Skipped++;
            return inner.QueueMessage(new TestSkipped(failed.Test, failed.Messages[0]));
        }

        return inner.QueueMessage(message);
    }

    public void Dispose()
    {
    }
}
