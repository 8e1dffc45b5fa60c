using Xunit;
using Xunit.Sdk;

namespace Checkpointing.Testing;

/// <summary>
/// A conformance test that may not apply to every store: when its body calls
/// <c>NotApplicableUnless</c> with a false condition, the runner reports it
/// as skipped with the reason, not as passed. (xunit 2 has no skip from inside a test; this is the smallest way to get one.)
/// </summary>
[XunitTestCaseDiscoverer("Checkpointing.Testing.NotApplicableAwareTestCaseDiscoverer", "Checkpointing.Testing")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class ConformanceFactAttribute : FactAttribute
{
}
