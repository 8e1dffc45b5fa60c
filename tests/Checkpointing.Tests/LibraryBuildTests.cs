using System.Reflection;
using System.Runtime.Versioning;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests;

/// <summary>
/// The tests target net8.0 and net10.0 and each build tests the library build for its own framework: on a machine with
/// only the .NET 10 runtime the net8.0 leg rolls forward, and this proves it still loads the net8.0 library.
/// </summary>
public sealed class LibraryBuildTests
{
    [Fact]
    public void TheLibraryUnderTest_IsTheBuildForThisTestBuildsFramework()
    {
        var library = typeof(CheckpointManager).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName;
        var tests = typeof(LibraryBuildTests).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName;

        library.Should().Be(tests, "each test build must exercise the library build of the same framework");
    }
}
