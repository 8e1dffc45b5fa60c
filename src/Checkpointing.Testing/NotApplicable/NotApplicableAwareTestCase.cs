using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Checkpointing.Testing;

/// <summary>
/// A test case that reports a failure by <see cref="ConformanceTestNotApplicableException"/> as skipped, with the
/// exception's message as the reason; every other outcome is reported as it is.
/// </summary>
internal sealed class NotApplicableAwareTestCase : XunitTestCase
{
    /// <summary>For the xunit de-serializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public NotApplicableAwareTestCase()
    {
    }

    public NotApplicableAwareTestCase(
        IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    public override async Task<RunSummary> RunAsync(
        IMessageSink diagnosticMessageSink,
        IMessageBus messageBus,
        object[] constructorArguments,
        ExceptionAggregator aggregator,
        CancellationTokenSource cancellationTokenSource)
    {
        var bus = new NotApplicableAsSkippedMessageBus(messageBus);
        var summary = await base.RunAsync(diagnosticMessageSink, bus, constructorArguments, aggregator, cancellationTokenSource).ConfigureAwait(false);
        summary.Failed -= bus.Skipped;
        summary.Skipped += bus.Skipped;
        return summary;
    }
}
