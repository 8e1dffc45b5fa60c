using Xunit.Abstractions;
using Xunit.Sdk;

namespace Checkpointing.Testing;

/// <summary>Discovers a <see cref="ConformanceFactAttribute"/> method as one <see cref="NotApplicableAwareTestCase"/>.</summary>
internal sealed class NotApplicableAwareTestCaseDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
    [
        new NotApplicableAwareTestCase(
            diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod),
    ];
}
