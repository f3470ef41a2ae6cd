#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of the module's argument completers, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub

    function Get-AmsTestCompletion([string] $Line) {
        $result = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        @($result.CompletionMatches)
    }
}

AfterAll {
    Remove-AmsStub
}

Describe 'Argument completers' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
        $devices = @(
            @{ Id = '11111111-1111-4111-8111-111111111111'; Name = 'PC1' }
            @{ Id = '22222222-2222-4222-8222-222222222222'; Name = 'PC2' }
            @{ Id = '33333333-3333-4333-8333-333333333333'; Name = 'Lab Server' }
            @{ Id = '44444444-4444-4444-8444-444444444444'; Name = 'MAC1' }
        )
        Set-AmsStubResponse -Verb 'device get' -Response @{ stdout = $devices }
        Set-AmsStubResponse -Verb 'group get' -Response @{ stdout = @(@{ Id = 'aaaaaaaa-0000-4000-8000-000000000001'; Name = 'Servers' }) }
    }

    It 'completes device names for -ComputerName from the instance, by prefix, case-insensitively' {
        $matches = Get-AmsTestCompletion 'Get-AmsLocalAdminPassword -ComputerName pc'
        $matches.CompletionText | Should -Be @('PC1', 'PC2')
        $matches[0].ToolTip | Should -Match '11111111-1111-4111-8111-111111111111'
        (Get-AmsStubCall).Line | Should -BeExactly 'device get'
    }

    It 'quotes a name with a space' {
        $matches = Get-AmsTestCompletion 'Get-AmsFveRecoveryKey -ComputerName La'
        $matches.CompletionText | Should -Be @("'Lab Server'")
        $matches[0].ListItemText | Should -BeExactly 'Lab Server'
    }

    It 'completes device ids for Set-AmsDevice -Id and group ids for Add-AmsGroupMember -Id' {
        $matches = Get-AmsTestCompletion 'Set-AmsDevice -Id 2'
        $matches.CompletionText | Should -Be @('22222222-2222-4222-8222-222222222222')
        $matches[0].ToolTip | Should -Match 'PC2'
        $groups = Get-AmsTestCompletion 'Add-AmsGroupMember -Id '
        $groups.CompletionText | Should -Be @('aaaaaaaa-0000-4000-8000-000000000001')
    }

    It 'completes nothing, and writes no error, when the instance cannot be read' {
        Set-AmsStubResponse -Verb 'device get' -Response @{ exitCode = 11; stderr = @{ error = @{ code = 'AMS-INSTANCE-0001'; kind = 'config'; message = 'no instance' } } }
        $Error.Clear()
        $matches = Get-AmsTestCompletion 'Get-AmsDevice -Name P'
        @($matches | Where-Object { $_.ResultType -eq 'ParameterValue' }).Count | Should -Be 0
    }

    It 'registers a completer for each parameter it names' {
        $map = & (Get-Module AccessManager) { $script:AmsCompleterMap }
        foreach ($commandName in $map.Keys) {
            $command = Get-Command -Name $commandName -Module AccessManager
            foreach ($parameterName in $map[$commandName].Keys) {
                $command.Parameters.Keys | Should -Contain $parameterName -Because "$commandName -$parameterName"
            }
        }
    }
}
