namespace Checkpointing.Demo;

/// <summary>What a worker prints: lines for people, and event lines for the parent when it asked for them.</summary>
internal sealed class WorkerOutput(bool events)
{
    public void Line(string text) => Console.WriteLine(text);

    public void Stage(string stageName, string action, string detail) => Console.WriteLine($"{stageName,-13} {action,-6} {detail}");

    public void Event(string name, string stageName)
    {
        if (events)
        {
            Console.WriteLine($"{WorkerEvents.Prefix}{name} {stageName}");
        }
    }
}
