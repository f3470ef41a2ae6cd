#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsActiveDirectoryJitGroupCreationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsActiveDirectoryJitGroupCreationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has [bool] parameters of state' {
        $command = Get-Command -Name New-AmsActiveDirectoryJitGroupCreationRule -Module AccessManager
        foreach ($name in 'Subtree', 'EnableJitGroupDeletion', 'CreateUnixGid') {
            $command.Parameters[$name].ParameterType | Should -Be ([bool])
        }
    }

    It 'passes OUs, template and $true/$false as values' {
        $rule = New-AmsActiveDirectoryJitGroupCreationRule -ComputerOU 'OU=C,DC=x' -GroupOU 'OU=G,DC=x' -GroupNameTemplate 'JIT-%computerName%' -Subtree $true -CreateUnixGid $false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'active-directory-jit-group-creation-rule|new|--computer-ou|OU=C,DC=x|--subtree|true|--group-ou|OU=G,DC=x|--group-name-template|JIT-%computerName%|--create-unix-gid|false'
        $rule.PSTypeNames[0] | Should -BeExactly 'Ams.JitGroupCreationRule'
    }

    It 'refuses an unknown group type before running ams' {
        { New-AmsActiveDirectoryJitGroupCreationRule -ComputerOU 'OU=C' -GroupOU 'OU=G' -GroupType Local } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
