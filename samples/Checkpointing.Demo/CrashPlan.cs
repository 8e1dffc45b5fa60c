using System.Diagnostics;

namespace Checkpointing.Demo;

/// <summary>Where the worker dies: right after the Nth paid (and written-ahead) LLM call of a stage.</summary>
internal sealed record CrashPlan(string StageName, int AfterPaidCalls)
{
    /// <summary>Kills this process with SIGKILL when the plan says so: no finally blocks, no dispose, no flush.</summary>
    public void MaybeCrash(string stageName, int paidCallsInStage, WorkerOutput output)
    {
        if (stageName != StageName || paidCallsInStage != AfterPaidCalls)
        {
            return;
        }

        output.Line($"*** crash: SIGKILL in the middle of '{stageName}', right after paid call {paidCallsInStage} was written ahead ***");
        Process.GetCurrentProcess().Kill();
        Environment.FailFast("the demo's simulated crash"); // not reached: SIGKILL cannot be caught
    }
}
