using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>How an owner row's process is judged: dead only when that is certain on this machine, unknown otherwise.</summary>
public sealed class OwnerProcessTests
{
    [Fact]
    public async Task ThisProcess_IsRecordedWithItsStartTime_AndIsAlive()
    {
        var self = await OwnerProcess.CurrentAsync(CancellationToken.None);

        self.Host.Should().Be(Environment.MachineName);
        self.Pid.Should().Be(Environment.ProcessId);
        if (!OperatingSystem.IsLinux())
        {
            self.StartTime.Should().BeNull("off Linux only the lease rule applies");
            return;
        }

        self.StartTime.Should().NotBeNull();
        self.Scope.Should().NotBeNullOrEmpty();
        (await self.CheckAsync(CancellationToken.None)).Should().Be(OwnerProcess.Liveness.Alive);
    }

    [Fact]
    public async Task ExitedOrReusedPid_IsDead_AndAnythingNotComparable_IsUnknown()
    {
        var self = await OwnerProcess.CurrentAsync(CancellationToken.None);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var exited = Process.Start("true");
        await exited.WaitForExitAsync();

        (await (self with { Pid = exited.Id }).CheckAsync(CancellationToken.None)).Should().Be(OwnerProcess.Liveness.Dead, "no process has that pid now (or another one, started later)");
        (await (self with { StartTime = self.StartTime + 1 }).CheckAsync(CancellationToken.None)).Should().Be(OwnerProcess.Liveness.Dead, "the pid belongs to a process started at another time");
        (await (self with { Pid = exited.Id, Host = "other-host" }).CheckAsync(CancellationToken.None)).Should().Be(OwnerProcess.Liveness.Unknown);
        (await (self with { Pid = exited.Id, Scope = "another-boot pid:[1]" }).CheckAsync(CancellationToken.None)).Should().Be(OwnerProcess.Liveness.Unknown);
        (await (self with { Pid = exited.Id, StartTime = null }).CheckAsync(CancellationToken.None)).Should().Be(OwnerProcess.Liveness.Unknown);
    }
}
