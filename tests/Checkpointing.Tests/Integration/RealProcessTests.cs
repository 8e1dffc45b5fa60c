using Xunit;

namespace Checkpointing.Tests.Integration;

/// <summary>
/// The tests that start real child processes run one class at a time, so that on a small machine they do not
/// starve each other of CPU (their timeouts stay generous either way).
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealProcessTests
{
    public const string Name = "Real processes";
}
